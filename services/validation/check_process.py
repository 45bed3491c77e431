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
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.validation.check_process",
        str(spec_path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, stderr = await process.communicate()
    except BaseException:
        kill_group(process.pid)
        with contextlib.suppress(Exception):
            await process.wait()
        raise
    if process.returncode == 0:
        return await asyncio.to_thread(_read_output, spec)
    if process.returncode == ERROR_EXIT and spec.error.exists():
        raise CheckBroke(await asyncio.to_thread(spec.error.read_text))
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
    raise CheckBroke(f"the check process ended with code {process.returncode}: {' '.join(tail)}")


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
