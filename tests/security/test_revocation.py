"""Access that is removed ends on every service within a second: a user's access token stops
working on identity, requests, validation, knowledge and audit after a deactivation, a
deletion, a role change, a password change (own or an admin's reset) and "log out
everywhere" -- while tokens are still verified locally by each service."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.security.conftest import Client, Person, bearer

pytestmark = pytest.mark.xdist_group("security")

DEADLINE_SECONDS = 1.0

#: One route per service that a signed-in user reaches past authentication: with a valid token
#: the answer is anything but 401 (audit answers 403 to non-admins, validation 404 here).
PROBES: dict[str, Callable[[httpx.Client, dict[str, str]], httpx.Response]] = {
    "identity": lambda http, h: http.get("/v1/users/me", headers=h),
    "requests": lambda http, h: http.get("/v1/requests", headers=h),
    "validation": lambda http, h: http.get(f"/v1/validations/{uuid.uuid4()}", headers=h),
    "knowledge": lambda http, h: http.get("/v1/knowledge/documents", headers=h),
    "audit": lambda http, h: http.get("/v1/audit-logs:recent", headers=h),
}


def change(kind: str, client: Client, admin: dict[str, str], person: Person, token: str):
    http = client.http
    if kind == "deactivate":
        return http.patch(f"/v1/users/{person.id}", headers=admin, json={"is_active": False})
    if kind == "delete":
        return http.delete(f"/v1/users/{person.id}", headers=admin)
    if kind == "revoke_role":
        return http.delete(f"/v1/users/{person.id}/roles/APPROVER", headers=admin)
    if kind == "admin_reset":
        return http.patch(
            f"/v1/users/{person.id}", headers=admin, json={"password": "reset-by-the-admin"}
        )
    if kind == "own_password":
        return http.post(
            "/v1/auth:changePassword",
            headers=bearer(token),
            json={"current_password": person.password, "new_password": "a-brand-new-secret"},
        )
    assert kind == "logout_everywhere"
    return http.post("/v1/auth:logoutEverywhere", headers=bearer(token), json={})


@pytest.mark.parametrize(
    "kind",
    ["deactivate", "delete", "revoke_role", "admin_reset", "own_password", "logout_everywhere"],
)
def test_the_old_token_is_refused_everywhere_within_a_second(
    client: Client, admin, new_user, kind: str
) -> None:
    person = new_user("REQUESTOR", "APPROVER")
    issued = client.tokens(person.username, person.password)
    old = bearer(issued["access_token"])
    for service, probe in PROBES.items():
        assert probe(client.http, old).status_code != 401, service
    reply = change(kind, client, admin, person, issued["access_token"])
    assert reply.status_code == 200, reply.text
    changed_at = time.monotonic()
    refused_after: dict[str, float] = {}
    while len(refused_after) < len(PROBES):
        for service, probe in PROBES.items():
            if service not in refused_after and probe(client.http, old).status_code == 401:
                refused_after[service] = time.monotonic() - changed_at
        assert time.monotonic() - changed_at < DEADLINE_SECONDS, (kind, refused_after)
    assert max(refused_after.values()) < DEADLINE_SECONDS
    refreshed = client.http.post(
        "/v1/auth:refresh", json={"refresh_token": issued["refresh_token"]}
    )
    if kind == "revoke_role":  # the session goes on, with the roles the user has now
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["user"]["roles"] == ["REQUESTOR"]
        new = bearer(refreshed.json()["access_token"])
        assert PROBES["requests"](client.http, new).status_code == 200
    else:
        assert refreshed.status_code == 401, refreshed.text


def test_a_revoked_approver_cannot_approve_with_the_old_token(
    client: Client, admin, new_user
) -> None:
    owner, approver = new_user("REQUESTOR"), new_user("APPROVER")
    owner_token = bearer(client.tokens(owner.username, owner.password)["access_token"])
    created = client.http.post(
        "/v1/requests", headers=owner_token, json={"source_system": "Apache"}
    ).json()["request"]
    uploaded = client.http.post(
        f"/v1/requests/{created['id']}/samples",
        headers=owner_token,
        files={
            "file": (
                "access.log",
                b'127.0.0.1 - - [04/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5\n',
            )
        },
    )
    assert uploaded.status_code == 200, uploaded.text
    submitted = client.http.post(
        f"/v1/requests/{created['id']}:submit", headers=owner_token, json={}
    )
    assert submitted.status_code == 200, submitted.text
    old = bearer(client.tokens(approver.username, approver.password)["access_token"])
    revoked = client.http.delete(f"/v1/users/{approver.id}/roles/APPROVER", headers=admin)
    assert revoked.status_code == 200
    deadline = time.monotonic() + DEADLINE_SECONDS
    while PROBES["requests"](client.http, old).status_code != 401:
        assert time.monotonic() < deadline, "the old token still works after a second"
    approve = client.http.post(f"/v1/requests/{created['id']}:approve", headers=old, json={})
    assert approve.status_code == 401, approve.text
    status = client.http.get(f"/v1/requests/{created['id']}", headers=owner_token).json()
    assert status["request"]["status"] == "PENDING_APPROVAL"
