"""Every identity route of the HTTP contract, over real HTTP to the real identity service."""

from __future__ import annotations

import re
import uuid

from services.kernel.enums import UserRoleEnum
from tests.gateway.conftest import auth

ADMIN = UserRoleEnum.ADMIN
REQUESTOR = UserRoleEnum.REQUESTOR
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
USER_FIELDS = {
    "id",
    "username",
    "email",
    "full_name",
    "is_active",
    "is_superuser",
    "auth_provider",
    "external_id",
    "roles",
    "created_at",
    "updated_at",
}


async def login(http, username: str, password: str = "correct-horse-1"):
    return await http.post("/v1/auth:login", json={"username": username, "password": password})


async def test_login_returns_tokens_and_the_user_in_proto_json(http, people):
    await people.add("alice", REQUESTOR)
    reply = await login(http, "alice")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["access_token"] and body["refresh_token"]
    user = body["user"]
    assert set(user) >= USER_FIELDS  # unpopulated fields are printed too
    assert user["username"] == "alice" and user["roles"] == ["REQUESTOR"]
    assert user["full_name"] == "" and user["external_id"] == "" and user["is_superuser"] is False
    assert RFC3339.match(user["created_at"]) and RFC3339.match(user["last_login"])


async def test_wrong_password_is_401_with_www_authenticate(http, people):
    await people.add("bob", REQUESTOR)
    reply = await login(http, "bob", "wrong-password-1")
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    body = reply.json()
    assert body["code"] == "UNAUTHENTICATED" and body["details"] == []
    assert body["message"]


async def test_refresh_and_logout(http, people):
    await people.add("carol", REQUESTOR)
    tokens = (await login(http, "carol")).json()
    refreshed = await http.post("/v1/auth:refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["access_token"] and new["user"]["username"] == "carol"
    me = await http.get("/v1/users/me", headers=auth(new["access_token"]))
    assert me.status_code == 200
    out = await http.post(
        "/v1/auth:logout",
        json={"refresh_token": new["refresh_token"]},
        headers=auth(new["access_token"]),
    )
    assert out.status_code == 200 and out.json() == {}
    again = await http.post("/v1/auth:refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401


async def test_users_me_needs_a_token(http, people):
    user_id, token = await people.token("dave", REQUESTOR)
    me = await http.get("/v1/users/me", headers=auth(token))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == str(user_id)
    anonymous = await http.get("/v1/users/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="tagen"'
    forged = await http.get("/v1/users/me", headers=auth("not-a-jwt"))
    assert forged.status_code == 401
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]


async def test_list_users_with_query_and_pages(http, people):
    _, admin = await people.token("root", ADMIN)
    for name in ("erin", "erik", "frank"):
        await people.add(name, REQUESTOR)
    found = await http.get("/v1/users", params={"query": "eri"}, headers=auth(admin))
    assert found.status_code == 200
    assert sorted(u["username"] for u in found.json()["users"]) == ["erik", "erin"]
    first = await http.get("/v1/users", params={"page_size": 2}, headers=auth(admin))
    page = first.json()
    assert len(page["users"]) == 2 and page["next_page_token"]
    second = await http.get(
        "/v1/users",
        params={"page_size": 2, "page_token": page["next_page_token"]},
        headers=auth(admin),
    )
    assert len(second.json()["users"]) == 2
    seen = {u["id"] for u in page["users"]} | {u["id"] for u in second.json()["users"]}
    assert len(seen) == 4


async def test_list_users_is_for_admins(http, people):
    _, token = await people.token("gina", REQUESTOR)
    reply = await http.get("/v1/users", headers=auth(token))
    assert reply.status_code == 403
    assert reply.json()["code"] == "PERMISSION_DENIED"


async def test_create_get_update_delete_user(http, people):
    _, admin = await people.token("root", ADMIN)
    created = await http.post(
        "/v1/users",
        json={
            "username": "hank",
            "email": "hank@example.com",
            "password": "long-enough-pw",
            "full_name": "Hank Hill",
            "roles": ["APPROVER", "REQUESTOR"],
        },
        headers=auth(admin),
    )
    assert created.status_code == 200, created.text
    user = created.json()["user"]
    assert user["roles"] == ["APPROVER", "REQUESTOR"]
    user_id = user["id"]

    got = await http.get(f"/v1/users/{user_id}", headers=auth(admin))
    assert got.status_code == 200 and got.json()["user"]["full_name"] == "Hank Hill"

    own_token = (await login(http, "hank", "long-enough-pw")).json()["access_token"]
    patched = await http.patch(
        f"/v1/users/{user_id}", json={"full_name": "Henry Hill"}, headers=auth(own_token)
    )
    assert patched.status_code == 200
    assert patched.json()["user"]["full_name"] == "Henry Hill"
    assert patched.json()["user"]["email"] == "hank@example.com"  # unset fields stay

    duplicate = await http.post(
        "/v1/users",
        json={"username": "hank", "email": "other@example.com", "password": "long-enough-pw"},
        headers=auth(admin),
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "ALREADY_EXISTS"

    deleted = await http.delete(f"/v1/users/{user_id}", headers=auth(admin))
    assert deleted.status_code == 200 and deleted.json() == {}
    after = await http.get(f"/v1/users/{user_id}", headers=auth(admin))
    assert after.json()["user"]["is_active"] is False


async def test_get_user_self_other_and_missing(http, people):
    alice_id, alice = await people.token("alice", REQUESTOR)
    bob_id, _ = await people.token("bob", REQUESTOR)
    assert (await http.get(f"/v1/users/{alice_id}", headers=auth(alice))).status_code == 200
    other = await http.get(f"/v1/users/{bob_id}", headers=auth(alice))
    assert other.status_code == 404  # another user is not revealed to exist
    _, admin = await people.token("root", ADMIN)
    missing = await http.get(f"/v1/users/{uuid.uuid4()}", headers=auth(admin))
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    malformed = await http.get("/v1/users/not-a-uuid", headers=auth(admin))
    assert malformed.status_code == 400
    assert malformed.json()["details"][0]["field_violations"][0]["field"] == "user_id"


async def test_patch_of_another_users_profile_is_not_found(http, people):
    _, alice = await people.token("alice", REQUESTOR)
    bob_id, _ = await people.token("bob", REQUESTOR)
    reply = await http.patch(f"/v1/users/{bob_id}", json={"full_name": "x"}, headers=auth(alice))
    assert reply.status_code == 404


async def test_assign_and_revoke_role(http, people):
    _, admin = await people.token("root", ADMIN)
    user_id = await people.add("ivy", REQUESTOR)
    assigned = await http.post(
        f"/v1/users/{user_id}/roles", json={"role": "APPROVER"}, headers=auth(admin)
    )
    assert assigned.status_code == 200
    assert assigned.json()["user"]["roles"] == ["APPROVER", "REQUESTOR"]
    revoked = await http.delete(f"/v1/users/{user_id}/roles/APPROVER", headers=auth(admin))
    assert revoked.status_code == 200 and revoked.json()["user"]["id"] == str(user_id)
    after = await http.get(f"/v1/users/{user_id}", headers=auth(admin))
    assert after.json()["user"]["roles"] == ["REQUESTOR"]
    unknown_role = await http.delete(f"/v1/users/{user_id}/roles/WIZARD", headers=auth(admin))
    assert unknown_role.status_code == 400
    assert "role" in unknown_role.json()["message"]


async def test_roles_and_users_by_role(http, people):
    root_id, admin = await people.token("root", ADMIN)
    await people.add("jack", REQUESTOR)
    roles = await http.get("/v1/roles", headers=auth(admin))
    assert roles.status_code == 200
    names = {r["name"] for r in roles.json()["roles"]}
    assert names == {"REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER"}
    assert all(isinstance(r["permissions"], dict) for r in roles.json()["roles"])
    admins = await http.get("/v1/roles/ADMIN/users", headers=auth(admin))
    assert admins.status_code == 200
    assert [u["id"] for u in admins.json()["users"]] == [str(root_id)]
    assert admins.json()["next_page_token"] == ""


async def test_config_read_by_users_written_by_admins(http, people):
    _, admin = await people.token("root", ADMIN)
    _, user = await people.token("kim", REQUESTOR)
    put = await http.put(
        "/v1/config/MAX_UPLOAD_MB",
        json={"value": "50", "value_type": "integer", "description": "upload limit"},
        headers=auth(admin),
    )
    assert put.status_code == 200, put.text
    assert put.json()["entry"]["value"] == "50"
    secret = await http.put(
        "/v1/config/LLM_API_KEY",
        json={"value": "sk-very-secret", "is_secret": True},
        headers=auth(admin),
    )
    assert secret.status_code == 200
    got = await http.get("/v1/config/LLM_API_KEY", headers=auth(user))
    assert got.status_code == 200 and got.json()["entry"]["value"] == "********"
    listed = await http.get("/v1/config", headers=auth(user))
    assert listed.status_code == 200
    entries = {e["key"]: e for e in listed.json()["entries"]}
    assert entries["MAX_UPLOAD_MB"]["value"] == "50"
    assert "sk-very-secret" not in listed.text
    forbidden = await http.put("/v1/config/MAX_UPLOAD_MB", json={"value": "1"}, headers=auth(user))
    assert forbidden.status_code == 403
    missing = await http.get("/v1/config/NOT_THERE", headers=auth(user))
    assert missing.status_code == 404
