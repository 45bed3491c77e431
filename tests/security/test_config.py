"""System config through the gateway: bad values of known keys are 400s, and a key the README
lists as overridable (MAX_SAMPLE_SIZE_BYTES) really is read from system_config at run time."""

from __future__ import annotations

import time

import pytest

from tests.security.conftest import Client, bearer

pytestmark = pytest.mark.xdist_group("security")


def test_known_keys_refuse_values_that_do_not_fit(client: Client, admin) -> None:
    for key, value in (("MAX_PARALLEL_VALIDATIONS", "-5"), ("SAMPLE_RETENTION_ENABLED", "abc")):
        reply = client.http.put(f"/v1/config/{key}", headers=admin, json={"value": value})
        assert reply.status_code == 400, reply.text


def test_max_sample_size_bytes_from_system_config_applies(client: Client, admin, new_user):
    person = new_user()
    token = bearer(client.tokens(person.username, person.password)["access_token"])
    created = client.http.post("/v1/requests", headers=token, json={"source_system": "x"})
    request_id = created.json()["request"]["id"]

    def upload() -> int:
        files = {"file": ("a.log", b"a log line that is longer than 16 bytes\n", "text/plain")}
        reply = client.http.post(f"/v1/requests/{request_id}/samples", headers=token, files=files)
        return reply.status_code

    assert upload() == 200
    limit = client.http.put("/v1/config/MAX_SAMPLE_SIZE_BYTES", headers=admin, json={"value": "16"})
    assert limit.status_code == 200, limit.text
    try:
        deadline = time.monotonic() + 15  # services cache config values for a few seconds
        while (status := upload()) == 200:
            assert time.monotonic() < deadline, "the system_config row was not applied"
            time.sleep(0.5)
        assert 400 <= status < 500, status
    finally:
        client.http.put(
            "/v1/config/MAX_SAMPLE_SIZE_BYTES", headers=admin, json={"value": "268435456"}
        )
