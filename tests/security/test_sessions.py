"""Sessions through the gateway: login throttling answers 429 with Retry-After (per username
and per client address), refresh token reuse ends the family, logout only touches the
caller's own tokens, and names differ by more than case."""

from __future__ import annotations

import time

import pytest

from tests.security.conftest import Client, bearer

pytestmark = pytest.mark.xdist_group("security")


def test_failed_logins_get_429_with_retry_after(client: Client, new_user) -> None:
    person = new_user()
    for _ in range(5):
        assert client.login(person.username, "wrong-password-0").status_code == 401
    blocked = client.login(person.username, person.password)  # the right one, too soon
    assert blocked.status_code == 429, blocked.text
    assert int(blocked.headers["retry-after"]) >= 1
    body = blocked.json()
    assert body["code"] == "RESOURCE_EXHAUSTED" and "ipv4" not in body["message"]
    deadline = time.monotonic() + 5
    while client.login(person.username, person.password).status_code == 429:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_one_address_guessing_many_usernames_is_throttled(client: Client, new_user) -> None:
    person = new_user()
    for i in range(20):
        assert client.login(f"nobody{i}-{person.username}", "wrong-password-0").status_code == 401
    assert client.login(person.username, person.password).status_code == 429
    other_address = Client(client.http, "192.0.2.77")
    assert other_address.login(person.username, person.password).status_code == 200


def test_refresh_token_reuse_revokes_the_family(client: Client, new_user) -> None:
    person = new_user()
    first = client.tokens(person.username, person.password)
    second = client.http.post("/v1/auth:refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    replay = client.http.post("/v1/auth:refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    newer = second.json()["refresh_token"]
    assert client.http.post("/v1/auth:refresh", json={"refresh_token": newer}).status_code == 401


def test_logout_cannot_touch_another_users_token(client: Client, new_user) -> None:
    victim, attacker = new_user(), new_user()
    theirs = client.tokens(victim.username, victim.password)
    mine = client.tokens(attacker.username, attacker.password)
    out = client.http.post(
        "/v1/auth:logout",
        headers=bearer(mine["access_token"]),
        json={"refresh_token": theirs["refresh_token"]},
    )
    assert out.status_code == 404
    anonymous = client.http.post("/v1/auth:logout", json={"refresh_token": theirs["refresh_token"]})
    assert anonymous.status_code == 401
    still = client.http.post("/v1/auth:refresh", json={"refresh_token": theirs["refresh_token"]})
    assert still.status_code == 200


def test_weak_passwords_and_case_twins_are_refused(client: Client, admin, new_user) -> None:
    person = new_user()
    for password in ("12345678", "WEAKLING-1234", "qwerty123456"):
        reply = client.http.post(
            "/v1/users",
            headers=admin,
            json={"username": "weakling", "email": "weak@example.com", "password": password},
        )
        assert reply.status_code == 400, (password, reply.text)
    twin = client.http.post(
        "/v1/users",
        headers=admin,
        json={
            "username": person.username.upper(),
            "email": "twin@example.com",
            "password": "long-enough-secret",
        },
    )
    assert twin.status_code == 409, twin.text
    own = client.tokens(person.username, person.password)
    no_current = client.http.post(
        "/v1/auth:changePassword",
        headers=bearer(own["access_token"]),
        json={"current_password": "", "new_password": "another-long-secret"},
    )
    assert no_current.status_code == 400
