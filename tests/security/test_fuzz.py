"""Every operation of /openapi.json fuzzed through the gateway while signed in as each role
(and as nobody): no answer is a server error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform_process import Platform
from tests.security.conftest import Client, bearer


@pytest.mark.parametrize("role", ["REQUESTOR", "APPROVER", "KNOWLEDGE_MANAGER", "ADMIN", ""])
def test_no_operation_answers_a_server_error(
    platform: Platform, client: Client, new_user, role: str, tmp_path: Path
) -> None:
    headers: list[str] = []
    if role:
        person = new_user(role)
        token = client.tokens(person.username, person.password)["access_token"]
        headers = ["-H", f"Authorization: {bearer(token)['Authorization']}"]
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    command = [
        *([found] if found else [sys.executable, "-m", "schemathesis.cli"]),
        "run",
        f"{platform.base_url}/openapi.json",
        "--checks",
        "not_a_server_error",
        # Ending the fuzzing user's own sessions would only stop the run early.
        "--exclude-path-regex",
        r"^/v1/auth:(logout|logoutEverywhere|changePassword)$",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        "5",
        "--seed",
        "20261204",
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
        *headers,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
