"""Path templates and route selection, without servers."""

from __future__ import annotations

import pytest

from services.gateway.descriptors import discover_modules, load_bindings
from services.gateway.path_template import SegmentKind, TemplateError, parse_template
from services.gateway.routes import Match, MethodNotAllowed, RouteTable


def segments(path: str) -> list[str]:
    return path[1:].split("/")


def test_parse_variables_verbs_and_wildcards():
    template = parse_template("/v1/{name=shelves/*/books/**}:move")
    assert template.verb == "move"
    assert [s.kind for s in template.segments] == [
        SegmentKind.LITERAL,
        SegmentKind.LITERAL,
        SegmentKind.SINGLE,
        SegmentKind.LITERAL,
        SegmentKind.MULTI,
    ]
    assert template.variables[0].field_path == ("name",)
    assert template.openapi_path() == "/v1/{name}:move"


def test_nested_field_path_and_plain_variable():
    template = parse_template("/v1/shelves/{shelf}/books/{book.id}")
    assert [v.field_path for v in template.variables] == [("shelf",), ("book", "id")]
    assert template.match(segments("/v1/shelves/s1/books/b%2F2")) == {
        "shelf": "s1",
        "book.id": "b/2",
    }
    assert template.match(segments("/v1/shelves/s1/books")) is None
    assert template.match(segments("/v1/shelves//books/b")) is None


def test_multi_segment_variable_takes_the_rest():
    template = parse_template("/v1/files/{name=**}")
    assert template.match(segments("/v1/files/a/b/c.txt")) == {"name": "a/b/c.txt"}
    assert template.match(segments("/v1/other/a")) is None


@pytest.mark.parametrize(
    "bad",
    [
        "v1/no-leading-slash",
        "/v1/{unclosed",
        "/v1/{a}/{a}",
        "/v1/**/tail",
        "/v1/{bad-name}",
        "/v1/x:",
        "/v1/{a={b}}",
        "/v1/a*b",
    ],
)
def test_malformed_templates_are_refused(bad):
    with pytest.raises(TemplateError):
        parse_template(bad)


@pytest.fixture(scope="module")
def identity_table() -> RouteTable:
    modules = [m for m in discover_modules() if m.__name__.startswith("tagen.identity.")]
    return RouteTable(load_bindings(modules))


def rpc_of(found: object) -> str:
    assert isinstance(found, Match), found
    return found.binding.rpc.descriptor.name


def test_literal_beats_variable(identity_table):
    assert rpc_of(identity_table.match("GET", "/v1/users/me")) == "GetCurrentUser"
    found = identity_table.match("GET", "/v1/users/1234")
    assert rpc_of(found) == "GetUser"
    assert found.variables == {"user_id": "1234"}  # type: ignore[union-attr]
    # Other methods fall through to the variable template, as in grpc-gateway.
    assert rpc_of(identity_table.match("PATCH", "/v1/users/me")) == "UpdateUser"


def test_verbs_select_their_rpc(identity_table):
    assert rpc_of(identity_table.match("POST", "/v1/auth:login")) == "Login"
    assert rpc_of(identity_table.match("POST", "/v1/auth:refresh")) == "RefreshToken"
    assert identity_table.match("POST", "/v1/auth:unknown") is None
    assert identity_table.match("POST", "/v1/auth") is None


def test_wrong_method_lists_the_allowed_ones(identity_table):
    found = identity_table.match("PUT", "/v1/users/abc")
    assert isinstance(found, MethodNotAllowed)
    assert found.allowed == ("DELETE", "GET", "PATCH")
    login = identity_table.match("GET", "/v1/auth:login")
    assert isinstance(login, MethodNotAllowed) and login.allowed == ("POST",)


def test_unknown_paths(identity_table):
    for path in ("/v1/nothing", "/v1/users/a/b/c/d", "/v1/users/", "/", "no-slash"):
        assert identity_table.match("GET", path) is None, path


def test_verb_templates_win_over_a_variable_segment():
    from services.gateway.descriptors import HttpBinding

    contract = RouteTable(
        [
            fake_binding("GET", "/v1/requests/{request_id}"),
            fake_binding("PATCH", "/v1/requests/{request_id}"),
            fake_binding("POST", "/v1/requests/{request_id}:submit"),
            fake_binding("POST", "/v1/requests/{request_id}:approve"),
            fake_binding("GET", "/v1/requests:statistics"),
            fake_binding("GET", "/v1/requests"),
            fake_binding("POST", "/v1/requests"),
        ]
    )

    def source(found: object) -> str:
        assert isinstance(found, Match), found
        binding: HttpBinding = found.binding
        return f"{binding.http_method} {binding.template.source} {found.variables}"

    assert source(contract.match("POST", "/v1/requests/r1:submit")) == (
        "POST /v1/requests/{request_id}:submit {'request_id': 'r1'}"
    )
    assert source(contract.match("POST", "/v1/requests/r1:approve")).endswith(
        "{'request_id': 'r1'}"
    )
    assert source(contract.match("GET", "/v1/requests:statistics")) == (
        "GET /v1/requests:statistics {}"
    )
    assert source(contract.match("GET", "/v1/requests/r1")).startswith("GET /v1/requests/{")
    assert source(contract.match("GET", "/v1/requests")) == "GET /v1/requests {}"
    submit_with_patch = contract.match("PATCH", "/v1/requests/r1:submit")
    assert isinstance(submit_with_patch, MethodNotAllowed)
    assert submit_with_patch.allowed == ("POST",)
    stats_with_post = contract.match("POST", "/v1/requests:statistics")
    assert isinstance(stats_with_post, MethodNotAllowed) and stats_with_post.allowed == ("GET",)


def fake_binding(method: str, path: str):
    """A binding whose RPC does not matter (route selection only looks at templates)."""
    from services.gateway.descriptors import HttpBinding

    return HttpBinding(
        rpc=None,  # type: ignore[arg-type]
        http_method=method,
        template=parse_template(path),
        body="",
        response_body="",
        index=0,
    )
