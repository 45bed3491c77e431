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


class RunningAppInspect:
    """A started ``splunk-appinspect`` process: the caller does its own work meanwhile and
    collects the report last (or abandons it, which kills the process). Its output goes to
    files in the work directory, so it never blocks on a full pipe while nobody reads."""

    def __init__(
        self,
        report: AppInspectReport,
        process: subprocess.Popen[bytes] | None,
        workdir: Path,
        timeout: float,
    ) -> None:
        self.report = report
        self.process = process
        self.workdir = workdir
        self.timeout = timeout
        self.started = time.monotonic()

    @property
    def output(self) -> Path:
        return self.workdir / "appinspect-report.json"

    def log_file(self, stream: str) -> Path:
        return self.workdir / f"appinspect-{stream}.txt"

    def collect(self) -> AppInspectReport:
        """Wait for the process (within what is left of its timeout) and read its report;
        problems are reported, never raised."""
        report, process = self.report, self.process
        if process is None:
            return report
        left = max(0.0, self.timeout - (time.monotonic() - self.started))
        try:
            code = process.wait(left)
        except subprocess.TimeoutExpired:
            self.abandon()
            report.problem = f"splunk-appinspect did not finish within {self.timeout:.0f} seconds"
            return report
        finally:
            report.duration_seconds = time.monotonic() - self.started
        report.exit_code = code
        report.stdout = _tail(self.log_file("stdout"))
        report.stderr = _tail(self.log_file("stderr"))
        _read_report(self.output, code, report)
        return report

    def abandon(self) -> None:
        """Kill the process if it still runs (its report is not wanted)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _tail(path: Path, limit: int = 20000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return ""


def _read_report(output: Path, code: int, report: AppInspectReport) -> None:
    if not output.is_file():
        tail = (report.stderr or report.stdout).strip().splitlines()[-3:]
        report.problem = f"splunk-appinspect exited with code {code} without a report" + (
            ": " + " | ".join(tail) if tail else ""
        )
        return
    try:
        parse_report(json.loads(output.read_text(encoding="utf-8")), report)
    except (ValueError, TypeError, AttributeError) as exc:
        report.problem = f"splunk-appinspect's report could not be read: {exc}"
        return
    report.ran = True
    if code == 2:
        report.problem = "splunk-appinspect reported an exception while validating"


def start_appinspect(
    package: Path,
    workdir: Path,
    *,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RunningAppInspect:
    """Start appinspect on the package and return at once; ``collect()`` gives its report."""
    found = find_appinspect(executable)
    if found is None:
        wanted = executable or EXECUTABLE
        missing = AppInspectReport(
            ran=False,
            problem=f"the {wanted!r} executable was not found; install splunk-appinspect",
        )
        return RunningAppInspect(missing, None, workdir, timeout)
    running = RunningAppInspect(AppInspectReport(ran=False), None, workdir, timeout)
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
        str(running.output),
        "--max-messages",
        "all",
    ]
    running.report.command = [Path(found).name, *command[1:]]
    try:
        with (
            running.log_file("stdout").open("wb") as out,
            running.log_file("stderr").open("wb") as err,
        ):
            running.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=scrubbed_environment(),
                cwd=workdir,
            )
    except OSError as exc:
        running.report.problem = f"splunk-appinspect could not be started: {exc}"
    return running


def run_appinspect(
    package: Path,
    workdir: Path,
    *,
    executable: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AppInspectReport:
    """Run appinspect on the package and wait for its report; problems are reported, never
    raised."""
    return start_appinspect(package, workdir, executable=executable, timeout=timeout).collect()
