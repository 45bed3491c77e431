"""End to end: `tagen run` (the command behind `make run`) on the embedded default, driven
only through the HTTP gateway, the way the web frontend uses the platform."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "ta" / "samples" / "apache_access_combined.log"
ADMIN = ("root", "root-password-1")

pytestmark = pytest.mark.xdist_group("e2e")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    process: subprocess.Popen[str]
    base_url: str
    output: list[str]
    reader: threading.Thread

    def lines_after(self, start: int) -> list[str]:
        return self.output[start:]


def drain(process: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading the platform's output: a pipe nobody reads fills up (64 KiB of logs) and
    then blocks the platform in the middle of whatever it logs."""
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("platform")
    gateway_port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "GATEWAY_PORT": str(gateway_port),
        "BOOTSTRAP_ADMIN_USERNAME": ADMIN[0],
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "64",
    }
    for context in ("identity", "requests", "validation", "knowledge", "audit"):
        env[f"{context.upper()}_PORT"] = str(free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if "platform ready" in line:
            break
    else:
        process.kill()
    if not any("platform ready" in line for line in output):
        process.kill()
        pytest.fail("tagen run did not start:\n" + "".join(output[-40:]))
    assert any(f"gateway listening on http://127.0.0.1:{gateway_port}" in x for x in output)
    reader = threading.Thread(target=drain, args=(process, output), daemon=True)
    reader.start()
    yield Platform(process, f"http://127.0.0.1:{gateway_port}", output, reader)
    if process.poll() is None:
        process.kill()
        process.wait(10)
    reader.join(10)


def logged_by(platform: Platform, request_id: str, services: set[str]) -> bool:
    """Whether JSON log lines of each of `services` name `request_id` (the platform logs JSON:
    its output is a pipe, not a terminal); access lines are written just after the reply."""
    deadline = time.monotonic() + 10
    while True:
        found: set[str] = set()
        for line in list(platform.output):
            if line.startswith("{") and request_id in line:
                record = json.loads(line)
                if record.get("request_id") == request_id:
                    found.add(record["service"])
        if services <= found or time.monotonic() > deadline:
            return services <= found
        time.sleep(0.05)


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/v1/auth:login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def test_a_request_from_creation_to_download(platform: Platform, tmp_path: Path) -> None:
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        health = http.get("/healthz")
        assert health.status_code == 200, health.text
        assert http.get("/openapi.json").json()["paths"]["/v1/requests"]

        admin = login(http, *ADMIN)
        for username, role in (("rita", "REQUESTOR"), ("aaron", "APPROVER")):
            created = http.post(
                "/v1/users",
                headers=admin,
                json={
                    "username": username,
                    "email": f"{username}@example.com",
                    "password": f"{username}-password-1",
                    "roles": [role],
                },
            )
            assert created.status_code == 200, created.text
            assert created.json()["user"]["roles"] == [role]
        rita = login(http, "rita", "rita-password-1")
        aaron = login(http, "aaron", "aaron-password-1")
        correlation = str(uuid.uuid4())

        made = http.post(
            "/v1/requests",
            headers={**rita, "x-request-id": correlation, "User-Agent": "e2e-browser/1.0"},
            json={"source_system": "Apache", "description": "web tier access logs"},
        )
        assert made.status_code == 200, made.text
        assert made.headers["x-request-id"] == correlation
        request = made.json()["request"]
        assert request["status"] == "NEW" and request["cim_required"] is True
        rid = request["id"]

        sample_bytes = SAMPLE.read_bytes()
        uploaded = http.post(
            f"/v1/requests/{rid}/samples",
            headers=rita,
            files={"file": ("access.log", sample_bytes, "text/plain")},
        )
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["sample"]["file_size"] in (len(sample_bytes), str(len(sample_bytes)))

        submitted = http.post(f"/v1/requests/{rid}:submit", headers=rita, json={})
        assert submitted.json()["request"]["status"] == "PENDING_APPROVAL", submitted.text
        refused = http.post(f"/v1/requests/{rid}:approve", headers=rita, json={})
        assert refused.status_code == 403 and refused.json()["code"] == "PERMISSION_DENIED"
        approved = http.post(f"/v1/requests/{rid}:approve", headers=aaron, json={})
        assert approved.json()["request"]["status"] == "APPROVED", approved.text
        again = http.post(f"/v1/requests/{rid}:approve", headers=aaron, json={})
        assert again.status_code == 400 and again.json()["code"] == "FAILED_PRECONDITION"

        bundle = tmp_path / "TA-apache.tgz"
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.cli.main",
                "ta",
                "build",
                "--source-system",
                "Apache",
                "--out",
                str(bundle),
                str(SAMPLE),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, built.stderr
        revision = http.post(
            f"/v1/requests/{rid}/revisions",
            headers=aaron,
            files={"file": (bundle.name, bundle.read_bytes(), "application/gzip")},
        )
        assert revision.status_code == 200, revision.text
        assert revision.json()["revision"]["version"] == 1

        validation_call = str(uuid.uuid4())
        queued = http.post(
            f"/v1/requests/{rid}/validations",
            headers={**rita, "x-request-id": validation_call},
            json={"ta_revision_id": revision.json()["revision"]["id"]},
        )
        assert queued.status_code == 200, queued.text
        # The JSON log lines of that call, in every service it went through.
        assert logged_by(platform, validation_call, {"gateway", "validation", "requests"})
        assert logged_by(platform, correlation, {"gateway", "requests"})
        run_id = queued.json()["validation_run"]["id"]
        deadline = time.monotonic() + 60
        run = queued.json()["validation_run"]
        while run["status"] in ("QUEUED", "RUNNING") and time.monotonic() < deadline:
            time.sleep(0.2)
            run = http.get(f"/v1/validations/{run_id}", headers=rita).json()["validation_run"]
        assert run["status"] == "PASSED", run
        assert run["results_json"]["passed"] is True and run["debug_bundle_key"]
        runs = http.get(f"/v1/requests/{rid}/validations", headers=aaron).json()
        assert [r["id"] for r in runs["validation_runs"]] == [run_id]

        download = http.get(f"/v1/requests/{rid}/revisions/1:download", headers=rita)
        assert download.status_code == 200
        assert download.content == bundle.read_bytes()
        assert download.headers["content-length"] == str(bundle.stat().st_size)
        assert "attachment" in download.headers["content-disposition"]

        details = http.get(f"/v1/requests/{rid}", headers=rita).json()
        assert details["request"]["status"] == "APPROVED"
        assert len(details["log_samples"]) == 1 and len(details["ta_revisions"]) == 1
        stats = http.get("/v1/requests:statistics", headers=aaron).json()
        assert stats["counts"]["APPROVED"] in (1, "1") and stats["counts"]["NEW"] in (0, "0")
        assert http.get("/v1/requests:statistics", headers=rita).status_code == 403

        # Every human action reached the audit service through the outbox relays.
        wanted = {
            ("user", "LOGIN"),
            ("user", "CREATE"),
            ("request", "CREATE"),
            ("request", "UPDATE"),
            ("request", "APPROVE"),
            ("log_sample", "UPLOAD"),
            ("ta_revision", "UPLOAD"),
            ("ta_revision", "DOWNLOAD"),
            ("validation_run", "CREATE"),
        }
        deadline = time.monotonic() + 10
        seen: set[tuple[str, str]] = set()
        while time.monotonic() < deadline:
            trail = http.get("/v1/audit-logs", headers=admin, params={"page_size": 200})
            assert trail.status_code == 200, trail.text
            seen = {(log["entity_type"], log["action"]) for log in trail.json()["audit_logs"]}
            if wanted <= seen:
                break
            time.sleep(0.2)
        assert wanted <= seen, seen
        logs = http.get(
            "/v1/audit-logs", headers=admin, params={"entity_type": "request", "entity_id": rid}
        ).json()["audit_logs"]
        assert sorted(log["action"] for log in logs) == ["APPROVE", "CREATE", "UPDATE"]
        created_event = next(log for log in logs if log["action"] == "CREATE")
        assert created_event["correlation_id"] == correlation
        assert created_event["user_agent"] == "e2e-browser/1.0"
        assert created_event["ip_address"] == "127.0.0.1"
        assert http.get("/v1/audit-logs", headers=rita).status_code == 403


def test_schemathesis_finds_no_server_error_on_any_route(
    platform: Platform, tmp_path: Path
) -> None:
    """Every annotated route of every running service, fuzzed from /openapi.json as an ADMIN."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        admin = login(http, *ADMIN)["Authorization"]
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    command = [
        *([found] if found else [sys.executable, "-m", "schemathesis.cli"]),
        "run",
        f"{platform.base_url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance,content_type_conformance",
        # Logging out or deactivating the fuzzing admin would only stop the run early.
        "--exclude-path-regex",
        r"^/v1/auth:logout$|^/v1/users/\{user_id\}$",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "15",
        "--seed",
        "20261126",
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "15",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--report-dir",
        str(tmp_path),
        "-H",
        f"Authorization: {admin}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_stops_cleanly_on_sigint(platform: Platform) -> None:
    start = len(platform.output)
    platform.process.send_signal(signal.SIGINT)
    assert platform.process.wait(30) == 0, "".join(platform.output[-40:])
    platform.reader.join(10)
    assert any("stopping" in line for line in platform.lines_after(start))
