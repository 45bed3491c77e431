"""Bad input never gives a 5xx: deep nesting, NUL, invalid UTF-8, oversized headers, forged
page tokens -- each answered 400 (naming the field) or 431; and requests of other users
answer 404, not 403."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.security.conftest import Client, bearer

pytestmark = pytest.mark.xdist_group("security")


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


def field_of(reply) -> str:
    [detail] = reply.json()["details"]
    return detail["field_violations"][0]["field"]


def test_deeply_nested_request_metadata_is_a_400_naming_the_field(client: Client, new_user):
    person = new_user()
    token = bearer(client.tokens(person.username, person.password)["access_token"])
    reply = client.http.post(
        "/v1/requests", headers=token, json={"source_system": "x", "metadata": nested(40)}
    )
    assert reply.status_code == 400, reply.text
    assert field_of(reply).startswith("metadata.a.a")
    shallow = client.http.post(
        "/v1/requests", headers=token, json={"source_system": "x", "metadata": nested(5)}
    )
    assert shallow.status_code == 200, shallow.text


def test_a_config_json_value_nested_1000_levels_is_a_400(client: Client, admin) -> None:
    deep = "[" * 1000 + "]" * 1000
    reply = client.http.put(
        "/v1/config/DEEP_JSON", headers=admin, json={"value": deep, "value_type": "json"}
    )
    assert reply.status_code == 400, reply.text
    assert field_of(reply) == "value"


def test_oversized_headers_are_431_without_internals(client: Client) -> None:
    reply = client.http.get("/v1/users/me", headers={"Authorization": "Bearer " + "a" * 20_000})
    assert reply.status_code == 431, reply.text
    assert "ipv4" not in reply.text and "grpc" not in reply.text.lower()


def test_nul_characters_are_400(client: Client, new_user, admin) -> None:
    person = new_user()
    token = bearer(client.tokens(person.username, person.password)["access_token"])
    query = client.http.get("/v1/requests", params={"query": "a\x00b"}, headers=token)
    assert query.status_code == 400 and field_of(query) == "query", query.text
    search = client.http.post("/v1/knowledge:search", headers=token, json={"query": "a\x00b"})
    assert search.status_code == 400 and field_of(search) == "query", search.text
    users = client.http.get("/v1/users", params={"query": "\x00"}, headers=admin)
    assert users.status_code == 400, users.text
    key = client.http.post("/v1/requests", headers=token, json={"source_system": "x\u0000y"})
    assert key.status_code == 400 and field_of(key) == "source_system", key.text


def test_invalid_utf8_and_lone_surrogates_are_400(client: Client, new_user) -> None:
    person = new_user()
    token = {
        **bearer(client.tokens(person.username, person.password)["access_token"]),
        "Content-Type": "application/json",
    }
    raw = client.http.post("/v1/requests", headers=token, content=b'{"source_system": "\xff\xfe"}')
    assert raw.status_code == 400, raw.text
    surrogate = client.http.post(
        "/v1/requests", headers=token, content=b'{"source_system": "\\ud800"}'
    )
    assert surrogate.status_code == 400 and field_of(surrogate) == "source_system"
    query = client.http.get("/v1/requests?query=%ff%fe", headers=token)
    assert query.status_code == 400, query.text


def test_page_tokens_are_signed(client: Client, admin, new_user) -> None:
    for _ in range(3):
        new_user()
    first = client.http.get("/v1/users", params={"page_size": 1}, headers=admin)
    token = first.json()["next_page_token"]
    assert token
    second = client.http.get(
        "/v1/users", params={"page_size": 1, "page_token": token}, headers=admin
    )
    assert second.status_code == 200
    payload, _, signature = token.partition(".")
    forged = [
        "bzo5OTk5OTk5OTk5OTk5OTk5",  # base64 of "o:99999999999999999" unsigned
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + signature,
        payload + "." + signature[::-1],
        "x" * 5000,
    ]
    for bad in forged:
        reply = client.http.get(
            "/v1/users", params={"page_size": 1, "page_token": bad}, headers=admin
        )
        assert reply.status_code == 400 and field_of(reply) == "page_token", reply.text


def test_someone_elses_request_is_not_found(client: Client, new_user) -> None:
    owner, other = new_user(), new_user()
    owner_token = bearer(client.tokens(owner.username, owner.password)["access_token"])
    other_token = bearer(client.tokens(other.username, other.password)["access_token"])
    created = client.http.post("/v1/requests", headers=owner_token, json={"source_system": "x"})
    request_id = created.json()["request"]["id"]
    for path in (f"/v1/requests/{request_id}", f"/v1/requests/{request_id}/samples"):
        theirs = client.http.get(path, headers=other_token)
        missing = client.http.get(path.replace(request_id, str(uuid.uuid4())), headers=other_token)
        assert theirs.status_code == missing.status_code == 404, (path, theirs.text)
    validations = client.http.get(f"/v1/requests/{request_id}/validations", headers=other_token)
    assert validations.status_code == 404, validations.text
    assert json.loads(theirs.text)["code"] == "NOT_FOUND"
