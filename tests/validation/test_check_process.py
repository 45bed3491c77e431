"""The check in its child process: its result comes back, a check that breaks says why, and
cancelling the caller kills the process (what cancelling a RUNNING run relies on)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.validation.check_process import CheckBroke, CheckSpec, run_check
from tests.validation.conftest import wait_for
from tests.validation.helpers import SAMPLE, apache_ta

OPTIONS = {"run_appinspect": False, "cim_required": True}


def spec_in(tmp_path: Path, sample: Path, **options: object) -> CheckSpec:
    package = tmp_path / "package.tgz"
    package.write_bytes(apache_ta())
    return CheckSpec(package, [("access.log", sample)], {**OPTIONS, **options}, tmp_path)


def processes_running(spec_path: Path) -> list[int]:
    """Pids of live processes whose command line names the spec."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if str(spec_path).encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


async def test_the_result_comes_back(tmp_path: Path) -> None:
    result = await run_check(spec_in(tmp_path, SAMPLE))
    assert result.passed and result.results["checker"]["name"]
    assert result.debug_bundle.startswith(b"PK")


async def test_a_broken_package_fails_and_a_check_that_cannot_run_says_why(
    tmp_path: Path,
) -> None:
    spec = spec_in(tmp_path, SAMPLE)
    spec.package.write_bytes(b"not a tgz")
    result = await run_check(spec)
    assert not result.passed and result.results["errors"]
    with pytest.raises(CheckBroke) as err:
        await run_check(spec_in(tmp_path, SAMPLE, no_such_option=1))
    assert "no_such_option" in err.value.message


async def test_cancelling_the_caller_kills_the_check(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_bytes(SAMPLE.read_bytes() * 4000)  # a check of several seconds
    spec = spec_in(tmp_path, big, max_events_per_sample=None)
    task = asyncio.create_task(run_check(spec))
    spec_path = tmp_path / "spec.json"
    pids = await wait_for(lambda: _running(spec_path), within=20, interval=0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for(lambda: _gone(spec_path), within=10, interval=0.02)
    assert pids


async def _running(spec_path: Path) -> list[int]:
    return processes_running(spec_path)


async def _gone(spec_path: Path) -> bool:
    return not processes_running(spec_path)
