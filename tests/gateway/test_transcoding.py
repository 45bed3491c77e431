"""JSON <-> protobuf through the gateway, against the test-only GatewayTestService (a
context the gateway discovers at start-up like any other)."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import MAX_BODY

BOOK = "/v1/test/shelves/s1/books/b1"


async def echoed(http, method: str, url: str, **kwargs) -> dict:
    reply = await http.request(method, url, **kwargs)
    assert reply.status_code == 200, reply.text
    return reply.json()["request"]


async def test_path_variables_including_a_nested_field(http):
    request = await echoed(http, "GET", "/v1/test/shelves/s%201/books/b%2F1")
    assert request["shelf"] == "s 1"
    assert request["book"]["id"] == "b/1"


async def test_unpopulated_fields_are_printed_with_their_defaults(http):
    request = await echoed(http, "GET", BOOK)
    assert request["count"] == 0 and request["flag"] is False and request["ratio"] == 0
    assert request["big"] == "0"  # 64-bit integers are strings in the JSON mapping
    assert request["color"] == "COLOR_UNSPECIFIED"
    assert request["colors"] == [] and request["labels"] == {} and request["blob"] == ""
    # Fields with explicit presence stay absent when unset.
    assert "note" not in request and "since" not in request and "limit" not in request


async def test_query_parameters_fill_the_other_fields(http):
    params = [
        ("count", "7"),
        ("big", "18446744073709551615"),
        ("flag", "true"),
        ("ratio", "0.5"),
        ("color", "GREEN"),
        ("colors", "RED"),
        ("colors", "2"),
        ("numbers", "1"),
        ("numbers", "-2"),
        ("book.title", "Dune"),
        ("book.pages", "412"),
        ("book.tags", "sf"),
        ("since", "2024-05-01T10:00:00Z"),
        ("limit", "5"),
        ("note", ""),
        ("blob", "aGVsbG8="),
    ]
    request = await echoed(http, "GET", BOOK, params=params)
    assert request["count"] == 7 and request["big"] == "18446744073709551615"
    assert request["flag"] is True and request["ratio"] == 0.5
    assert request["color"] == "GREEN" and request["colors"] == ["RED", "GREEN"]
    assert request["numbers"] == [1, -2]
    assert request["book"] == {
        "id": "b1",
        "title": "Dune",
        "pages": "412",
        "color": "COLOR_UNSPECIFIED",
        "tags": ["sf"],
    }
    assert request["since"] == "2024-05-01T10:00:00Z" and request["limit"] == 5
    assert request["note"] == ""  # explicitly set: present
    assert request["blob"] == "aGVsbG8="


async def test_json_field_names_are_accepted_in_queries(http):
    request = await echoed(http, "GET", BOOK, params={"book.title": "x", "flag": "1"})
    assert request["book"]["title"] == "x" and request["flag"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("count=seven", "count"),
        ("count=99999999999", "count"),
        ("flag=maybe", "flag"),
        ("color=PURPLE", "color"),
        ("since=yesterday", "since"),
        ("nope=1", "nope"),
        ("book.nope=1", "book.nope"),
        ("book=1", "book"),
        ("labels=1", "labels"),
        ("shelf=other", "shelf"),
        ("count=1&count=2", "count"),
    ],
)
async def test_bad_query_parameters_are_400(http, query, field):
    reply = await http.get(f"{BOOK}?{query}")
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["code"] == "INVALID_ARGUMENT"
    if field:
        assert body["details"][0]["field_violations"][0]["field"] == field


@pytest.mark.parametrize(
    "path",
    [
        "/v1/test/counts/x/flags/true/colors/RED",
        "/v1/test/counts/1/flags/yes/colors/RED",
        "/v1/test/counts/1/flags/true/colors/PINK",
        "/v1/test/counts/3000000000/flags/true/colors/RED",
    ],
)
async def test_path_variables_that_do_not_parse_are_400(http, path):
    reply = await http.get(path)
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "INVALID_ARGUMENT"


async def test_typed_path_variables(http):
    request = await echoed(http, "GET", "/v1/test/counts/-3/flags/false/colors/2")
    assert request["count"] == -3 and request["flag"] is False and request["color"] == "GREEN"


async def test_multi_segment_variable(http):
    request = await echoed(http, "GET", "/v1/test/files/a/b/c.txt")
    assert request["name"] == "a/b/c.txt"


async def test_body_field_binding(http):
    request = await echoed(
        http,
        "POST",
        "/v1/test/shelves/s9/books?count=2",
        json={"id": "b7", "title": "Emma", "color": "RED", "published": "2020-01-02T03:04:05Z"},
    )
    assert request["shelf"] == "s9" and request["count"] == 2
    assert request["book"]["title"] == "Emma" and request["book"]["color"] == "RED"
    assert request["book"]["published"] == "2020-01-02T03:04:05Z"


async def test_body_star_with_the_path_winning(http):
    request = await echoed(
        http,
        "PUT",
        "/v1/test/shelves/from-path:echo",
        json={"shelf": "from-body", "labels": {"a": "b"}, "numbers": [1, 2], "big": "5"},
    )
    assert request["shelf"] == "from-path"
    assert request["labels"] == {"a": "b"} and request["numbers"] == [1, 2]
    assert request["big"] == "5"


async def test_query_parameters_are_refused_when_the_body_is_everything(http):
    reply = await http.put("/v1/test/shelves/s:echo?count=1", json={})
    assert reply.status_code == 400


async def test_empty_body_means_an_empty_message(http):
    reply = await http.put("/v1/test/shelves/s:echo")
    assert reply.status_code == 200
    assert reply.json()["request"]["shelf"] == "s"


async def test_response_body_field(http):
    reply = await http.get("/v1/test/notes/hello")
    assert reply.status_code == 200
    assert reply.json() == "hello"


async def test_unknown_body_field_is_400(http):
    reply = await http.put("/v1/test/shelves/s:echo", json={"shelf": "x", "surprise": 1})
    assert reply.status_code == 400
    assert "surprise" in reply.json()["message"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"count": "many"}', b'{"count": 1.5}', b'"\\ud800"', b"\xff\xfe"],
)
async def test_malformed_or_mistyped_json_is_400(http, body):
    reply = await http.put(
        "/v1/test/shelves/s:echo", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "INVALID_ARGUMENT"


async def test_lone_surrogate_in_a_string_field_is_400(http):
    reply = await http.put(
        "/v1/test/shelves/s:echo",
        content=b'{"name": "\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 400, reply.text


async def test_deeply_nested_json_is_400(http):
    body = b'{"labels": ' + b"[" * 50000 + b"]" * 50000 + b"}"
    reply = await http.put(
        "/v1/test/shelves/s:echo", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code in (400, 413), reply.text


async def test_wrong_content_type_is_415(http):
    reply = await http.put(
        "/v1/test/shelves/s:echo", content=b"shelf=x", headers={"content-type": "text/plain"}
    )
    assert reply.status_code == 415
    assert reply.json()["code"] == "INVALID_ARGUMENT"
    missing = await http.put("/v1/test/shelves/s:echo", content=b'{"shelf": "x"}')
    assert missing.status_code == 415
    vendor = await http.put(
        "/v1/test/shelves/s:echo",
        content=b"{}",
        headers={"content-type": "application/vnd.tagen+json; charset=utf-8"},
    )
    assert vendor.status_code == 200


async def test_body_over_the_limit_is_413(http):
    big = b'{"name": "' + b"x" * (MAX_BODY + 10) + b'"}'
    reply = await http.put(
        "/v1/test/shelves/s:echo", content=big, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413
    assert reply.json()["code"] == "RESOURCE_EXHAUSTED"

    async def chunks():
        for _ in range(10):
            yield b" " * (MAX_BODY // 4)

    streamed = await http.put(
        "/v1/test/shelves/s:echo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413


async def test_unknown_path_404_and_wrong_method_405(http):
    missing = await http.get("/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "NOT_FOUND",
        "message": "no route for /v1/nowhere",
        "details": [],
    }
    wrong = await http.delete(BOOK)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET"
    assert wrong.json()["code"] == "UNIMPLEMENTED"
    login = await http.get("/v1/auth:login")
    assert login.status_code == 405 and login.headers["allow"] == "POST"
    health = await http.post("/healthz")
    assert health.status_code == 405 and health.headers["allow"] == "GET"


async def test_malformed_percent_encoding_in_a_variable_is_400(http):
    reply = await http.get("/v1/test/shelves/%ff%fe/books/b1")
    assert reply.status_code == 400
