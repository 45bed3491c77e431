"""The OpenAPI document, and a bounded schemathesis run against it (identity operations)."""

from __future__ import annotations

import asyncio
import os

from services.kernel.enums import UserRoleEnum
from tests.fuzzing import schemathesis_command

IDENTITY_PATHS = r"^/v1/(auth:|users|roles|config)"
SCHEMATHESIS_TIMEOUT_SECONDS = 120


async def test_document_lists_every_annotated_route(http):
    reply = await http.get("/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    expected = {
        ("/v1/auth:login", "post"),
        ("/v1/auth:refresh", "post"),
        ("/v1/auth:logout", "post"),
        ("/v1/users/me", "get"),
        ("/v1/users", "get"),
        ("/v1/users", "post"),
        ("/v1/users/{user_id}", "get"),
        ("/v1/users/{user_id}", "patch"),
        ("/v1/users/{user_id}", "delete"),
        ("/v1/users/{user_id}/roles", "post"),
        ("/v1/users/{user_id}/roles/{role}", "delete"),
        ("/v1/roles", "get"),
        ("/v1/roles/{role}/users", "get"),
        ("/v1/config", "get"),
        ("/v1/config/{key}", "get"),
        ("/v1/config/{key}", "put"),
        # The test context, discovered like any other.
        ("/v1/test/shelves/{shelf}/books/{id}", "get"),
        ("/v1/test/boxes/{box_id}/files", "post"),
        ("/v1/test/boxes/{box_id}/files/{name}:download", "get"),
        ("/healthz", "get"),
    }
    listed = {(path, method) for path, item in paths.items() for method in item}
    assert expected <= listed
    # RPCs without an http option (ProvisionSsoUser, ResolveConfig) are not exposed.
    assert not any("Provision" in op["operationId"] for i in paths.values() for op in i.values())


async def test_document_is_valid_openapi(http):
    from openapi_spec_validator import validate

    validate((await http.get("/openapi.json")).json())


async def test_parameters_bodies_and_schemas(http):
    document = (await http.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    list_users = document["paths"]["/v1/users"]["get"]
    assert {p["name"]: p["in"] for p in list_users["parameters"]} == {
        "query": "query",
        "page_size": "query",
        "page_token": "query",
    }
    patch = document["paths"]["/v1/users/{user_id}"]["patch"]
    assert [p["name"] for p in patch["parameters"]] == ["user_id"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert "user_id" not in body["properties"] and body["additionalProperties"] is False
    user = schemas["tagen.identity.v1.User"]
    assert "last_login" not in user["required"] and "roles" in user["required"]
    assert user["properties"]["created_at"] == {"type": "string", "format": "date-time"}
    assert schemas["tagen.identity.v1.UserRole"]["enum"][1:] == [
        "REQUESTOR",
        "APPROVER",
        "ADMIN",
        "KNOWLEDGE_MANAGER",
    ]
    error = schemas["tagen.gateway.Error"]
    assert error["required"] == ["code", "message", "details"]
    assert patch["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/tagen.gateway.Error"
    }
    echo = document["paths"]["/v1/test/shelves/{shelf}/books/{id}"]["get"]
    names = {p["name"] for p in echo["parameters"]}
    assert {"shelf", "id", "book.title", "colors", "since", "limit"} <= names
    assert "book" not in names and "labels" not in names
    upload = document["paths"]["/v1/test/boxes/{box_id}/files"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert "box_id" not in form["properties"] and "description" in form["properties"]
    download = document["paths"]["/v1/test/boxes/{box_id}/files/{name}:download"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    gateway, people, tmp_path
):
    _, admin = await people.token("fuzz-admin", UserRoleEnum.ADMIN)
    command = schemathesis_command(
        f"http://127.0.0.1:{gateway.port}/openapi.json",
        tmp_path,
        path_filter=("--include-path-regex", IDENTITY_PATHS),
        max_examples=30,
        seed=20241126,
        request_timeout=10,
        authorization=f"Bearer {admin}",
    )
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        cwd=tmp_path,
    )
    output, _ = await asyncio.wait_for(process.communicate(), SCHEMATHESIS_TIMEOUT_SECONDS)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    assert "No issues found" in text or "passed" in text, text[-3000:]
