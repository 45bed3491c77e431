"""Running ``splunk-appinspect inspect --mode precert`` offline and reading its JSON report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXECUTABLE = "splunk-appinspect"
DEFAULT_TIMEOUT = 600.0
_FAILING = ("failure", "error")
_WARNING = ("warning", "future_failure")


def find_appinspect(explicit: str | None = None) -> str | None:
    """The appinspect executable: given, on PATH, or next to this Python interpreter."""
    if explicit is not None:
        return explicit if Path(explicit).is_file() or shutil.which(explicit) else None
    on_path = shutil.which(EXECUTABLE)
    if on_path:
        return on_path
    beside = Path(sys.executable).parent / EXECUTABLE
    return str(beside) if beside.is_file() else None


@dataclass
class AppInspectReport:
    ran: bool
    command: list[str] = field(default_factory=list)
    exit_code: int | None = None
    version: str | None = None
    summary: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # why it did not run or its report is unusable
    duration_seconds: float = 0.0
    raw_report: dict[str, Any] | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def failure_count(self) -> int:
        return self.summary.get("failure", 0) + self.summary.get("error", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "mode": "precert",
            "version": self.version,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "failures": self.failures,
            "warnings": self.warnings,
            "problem": self.problem,
            "duration_seconds": round(self.duration_seconds, 2),
            "command": self.command,
        }


def _check_entries(check: dict[str, Any]) -> dict[str, Any]:
    messages = []
    for message in check.get("messages", []):
        entry: dict[str, Any] = {"message": message.get("message", "")}
        if message.get("message_filename") not in (None, "None"):
            entry["file"] = message["message_filename"]
        if message.get("message_line") is not None:
            entry["line"] = message["message_line"]
        messages.append(entry)
    return {
        "check": check.get("name"),
        "result": check.get("result"),
        "description": check.get("description", ""),
        "messages": messages,
    }


def parse_report(report: dict[str, Any], into: AppInspectReport) -> None:
    into.raw_report = report
    into.summary = {k: int(v) for k, v in (report.get("summary") or {}).items()}
    for app_report in report.get("reports", []):
        into.version = (app_report.get("run_parameters") or {}).get("appinspect_version")
        for group in app_report.get("groups", []):
            for check in group.get("checks", []):
                result = check.get("result")
                if result in _FAILING:
                    into.failures.append(_check_entries(check))
                elif result in _WARNING:
                    into.warnings.append(_check_entries(check))


#: The only variables splunk-appinspect inherits: it runs on an uploaded TA and needs none of
#: the service's secrets (database URL, service token, storage credentials).
PASSED_ENVIRONMENT = ("PATH", "HOME", "TMPDIR", "LANG")


def scrubbed_environment() -> dict[str, str]:
    """The environment of the appinspect subprocess: PATH, HOME, TMPDIR and LANG only."""
    env = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_appinspect(
    package: Path,
    workdir: Path,
    *,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AppInspectReport:
    """Run appinspect on the package; problems are reported, never raised."""
    found = find_appinspect(executable)
    if found is None:
        wanted = executable or EXECUTABLE
        return AppInspectReport(
            ran=False,
            problem=f"the {wanted!r} executable was not found; install splunk-appinspect",
        )
    output = workdir / "appinspect-report.json"
    command = [
        found,
        "inspect",
        str(package),
        "--mode",
        "precert",
        "--skip-trusted-libraries-update",
        "--data-format",
        "json",
        "--output-file",
        str(output),
        "--max-messages",
        "all",
    ]
    report = AppInspectReport(ran=False, command=[Path(found).name, *command[1:]])
    env = scrubbed_environment()
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=workdir,
            check=False,
        )
    except subprocess.TimeoutExpired:
        report.problem = f"splunk-appinspect did not finish within {timeout:.0f} seconds"
        return report
    except OSError as exc:
        report.problem = f"splunk-appinspect could not be started: {exc}"
        return report
    finally:
        report.duration_seconds = time.monotonic() - started
    report.exit_code = completed.returncode
    report.stdout = completed.stdout[-20000:]
    report.stderr = completed.stderr[-20000:]
    if not output.is_file():
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        report.problem = (
            f"splunk-appinspect exited with code {completed.returncode} without a report"
            + (": " + " | ".join(tail) if tail else "")
        )
        return report
    try:
        parse_report(json.loads(output.read_text(encoding="utf-8")), report)
    except (ValueError, TypeError, AttributeError) as exc:
        report.problem = f"splunk-appinspect's report could not be read: {exc}"
        return report
    report.ran = True
    if completed.returncode == 2:
        report.problem = "splunk-appinspect reported an exception while validating"
    return report
