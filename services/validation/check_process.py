"""One TA check in a child process of the validation service, so that cancelling a run (or
stopping the service) kills the check and the splunk-appinspect process it may have started,
and the check's memory is returned to the system when it ends.

    python -m services.validation.check_process <spec.json>

The spec names the package, the samples (name and path), the CheckOptions fields to set and
where to write the results (JSON), the debug bundle (.zip) and, when the check broke, the
error message."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.kernel.errors import DomainError
from services.validation.ta_checker import CheckResult

ERROR_EXIT = 3


class CheckBroke(DomainError):
    """The check could not run to its end (the message says why)."""


@dataclass(frozen=True)
class CheckSpec:
    package: Path
    samples: list[tuple[str, Path]]
    options: dict[str, Any]
    scratch: Path

    @property
    def results(self) -> Path:
        return self.scratch / "results.json"

    @property
    def bundle(self) -> Path:
        return self.scratch / "debug.zip"

    @property
    def error(self) -> Path:
        return self.scratch / "error.txt"

    @property
    def stderr(self) -> Path:
        return self.scratch / "stderr.txt"

    def write(self) -> Path:
        path = self.scratch / "spec.json"
        path.write_text(
            json.dumps(
                {
                    "package": str(self.package),
                    "samples": [[name, str(p)] for name, p in self.samples],
                    "options": self.options,
                    "scratch": str(self.scratch),
                }
            )
        )
        return path

    @classmethod
    def read(cls, path: Path) -> CheckSpec:
        raw = json.loads(path.read_text())
        return cls(
            Path(raw["package"]),
            [(name, Path(p)) for name, p in raw["samples"]],
            raw["options"],
            Path(raw["scratch"]),
        )


async def run_check(spec: CheckSpec) -> CheckResult:
    """Run the check in a child process and read what it wrote; a cancelled caller kills the
    child's whole process group before the cancellation goes on."""
    spec_path = await asyncio.to_thread(spec.write)
    pid = _spawn(spec_path, spec.stderr)
    try:
        _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    except BaseException:
        kill_group(pid)  # the waiting thread reaps it
        raise
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return await asyncio.to_thread(_read_output, spec)
    if code == ERROR_EXIT and spec.error.exists():
        raise CheckBroke(await asyncio.to_thread(spec.error.read_text))
    stderr = await asyncio.to_thread(spec.stderr.read_text, "utf-8", "replace")
    tail = " ".join(stderr.strip().splitlines()[-6:])
    raise CheckBroke(f"the check process ended with code {code}: {tail}")


def _spawn(spec_path: Path, stderr_path: Path) -> int:
    """Start the check process in a session of its own. posix_spawn, not fork: the service
    process runs gRPC threads, and a forked child of it may crash before it execs."""
    argv = [
        sys.executable,
        "-X",
        "faulthandler",  # a crash leaves its traceback in the failure message
        "-m",
        "services.validation.check_process",
        str(spec_path),
    ]
    return os.posix_spawn(
        sys.executable,
        argv,
        dict(os.environ),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (
                os.POSIX_SPAWN_OPEN,
                2,
                str(stderr_path),
                os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                0o600,
            ),
        ],
        setsid=True,
    )


def kill_group(pid: int) -> None:
    """SIGKILL a child started in its own session, with everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _read_output(spec: CheckSpec) -> CheckResult:
    return CheckResult(json.loads(spec.results.read_text()), spec.bundle.read_bytes())


def main(argv: list[str]) -> int:
    from services.validation.ta_checker import CheckOptions, LogSample, check_ta

    spec = CheckSpec.read(Path(argv[1]))
    try:
        samples = [LogSample.from_path(path, name) for name, path in spec.samples]
        result = check_ta(spec.package, samples, CheckOptions(**spec.options))
    except Exception as exc:
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        spec.error.write_text(message)
        return ERROR_EXIT
    spec.bundle.write_bytes(result.debug_bundle)
    spec.results.write_text(json.dumps(result.results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
