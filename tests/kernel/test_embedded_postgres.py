"""The embedded PostgreSQL never outlives its owner: a killed owner's server is stopped by
the watchdog, a clean owner stops it itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]

OWNER = """
import json, sys, time
from pathlib import Path
from services.kernel.embedded_postgres import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[1]))
server.start()
print(server.postmaster_pid, flush=True)
if sys.argv[2] == "stale":  # a user that was killed stays in pgserver's list of users
    handles = Path(sys.argv[1]) / ".handle_pids.json"
    handles.write_text(json.dumps([*json.loads(handles.read_text()), 4194000]))
if sys.argv[2] in ("stop", "stale"):
    server.stop()
    print("stopped", flush=True)
else:
    time.sleep(600)
"""


def start_owner(data_dir: Path, mode: str) -> tuple[subprocess.Popen[str], int]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(data_dir), mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    assert line.strip().isdigit(), line
    return owner, int(line)


def gone(pid: int, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_the_server_of_a_killed_owner_is_stopped(tmp_path: Path) -> None:
    owner, postmaster = start_owner(tmp_path / "pg", "sleep")
    try:
        assert psutil.pid_exists(postmaster)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        assert gone(postmaster), "the embedded server outlived its killed owner"
    finally:
        if owner.poll() is None:
            owner.kill()
        if psutil.pid_exists(postmaster):
            os.kill(postmaster, signal.SIGQUIT)


@pytest.mark.parametrize("mode", ["stop", "stale"])
def test_a_clean_owner_stops_its_server(tmp_path: Path, mode: str) -> None:
    owner, postmaster = start_owner(tmp_path / "pg", mode)
    assert owner.wait(30) == 0
    assert gone(postmaster)
