"""Every operation of /openapi.json fuzzed through the gateway while signed in as each role
(and as nobody): no answer is a server error."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzzing import schemathesis_command
from tests.platform_process import Platform, run_platform
from tests.security.conftest import PLATFORM_ENV, Client, bearer

pytestmark = pytest.mark.xdist_group("security")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of its own: fuzzing as an ADMIN changes, deactivates and deletes users at
    random (the bootstrap admin included), which the other security tests must not inherit."""
    with run_platform(tmp_path_factory.mktemp("fuzz"), PLATFORM_ENV) as running:
        yield running


# The ADMIN run goes last: what it does to the users would stop the runs after it.
@pytest.mark.parametrize("role", ["", "REQUESTOR", "APPROVER", "KNOWLEDGE_MANAGER", "ADMIN"])
def test_no_operation_answers_a_server_error(
    platform: Platform, client: Client, new_user, role: str, tmp_path: Path
) -> None:
    authorization = ""
    if role:
        person = new_user(role)
        token = client.tokens(person.username, person.password)["access_token"]
        authorization = bearer(token)["Authorization"]
    command = schemathesis_command(
        f"{platform.base_url}/openapi.json",
        tmp_path,
        # Ending the fuzzing user's own sessions would only stop the run early.
        path_filter=(
            "--exclude-path-regex",
            r"^/v1/auth:(logout|logoutEverywhere|changePassword)$",
        ),
        checks="not_a_server_error",
        phases="examples,fuzzing",
        max_examples=5,
        seed=20261204,
        authorization=authorization,
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
