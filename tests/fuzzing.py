"""The schemathesis command line the fuzz tests run against a gateway's /openapi.json."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ALL_CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def schemathesis_command(
    openapi_url: str,
    report_dir: Path,
    *,
    path_filter: tuple[str, str] | None = None,
    checks: str = ALL_CHECKS,
    phases: str = "examples,coverage,fuzzing",
    max_examples: int = 15,
    seed: int = 20261126,
    request_timeout: int = 15,
    authorization: str = "",
) -> list[str]:
    """`schemathesis run` with one worker, no shrinking, a fixed seed; `path_filter` is
    ("--include-path-regex" or "--exclude-path-regex", regex); `authorization` the header
    value sent on every call (none when empty)."""
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    command = [
        *([found] if found else [sys.executable, "-m", "schemathesis.cli"]),
        "run",
        openapi_url,
        "--checks",
        checks,
        *(path_filter or ()),
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        str(request_timeout),
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--report-dir",
        str(report_dir),
    ]
    if authorization:
        command += ["-H", f"Authorization: {authorization}"]
    return command
