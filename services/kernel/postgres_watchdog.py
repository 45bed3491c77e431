"""Stops an embedded PostgreSQL whose owning process died without stopping it.

`EmbeddedPostgres` starts this module as a detached process with a pipe on its stdin whose
other end only the owner holds. The read returns when the owner closes it (a clean stop) or
exits for any reason (a crash, SIGKILL of a test worker); once the owner is gone the watchdog
asks the postmaster for a fast shutdown (SIGINT) unless another live process still uses the
same data directory (pgserver's list of users, where a killed user's pid stays behind).

    python -m services.kernel.postgres_watchdog <owner pid> <data dir> <postmaster pid>
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from pathlib import Path

import psutil

HANDLES_FILE = ".handle_pids.json"
SHUTDOWN_SECONDS = 15.0


def alive(pid: int) -> bool:
    """Whether `pid` runs (a killed process its parent has not reaped yet does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def other_users(data_dir: Path, owner: int) -> list[int]:
    """Live processes other than `owner` registered as users of the data directory."""
    try:
        pids = json.loads((data_dir / HANDLES_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [p for p in pids if p != owner and alive(p)]


def postmaster_of(data_dir: Path, pid: int) -> psutil.Process | None:
    """The postmaster `pid` if it still runs on `data_dir` (not a reused pid)."""
    try:
        process = psutil.Process(pid)
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process if str(data_dir) in command else None


def stop_postmaster(process: psutil.Process) -> None:
    process.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, checkpoint, exit
    try:
        process.wait(SHUTDOWN_SECONDS)
    except psutil.TimeoutExpired:
        process.send_signal(signal.SIGQUIT)  # immediate shutdown
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(SHUTDOWN_SECONDS)


def stop_unless_used(data_dir: Path, postmaster: int, owner: int) -> bool:
    """Stop the server unless a live process besides `owner` uses it; True if it was stopped."""
    process = postmaster_of(data_dir, postmaster)
    if process is None or other_users(data_dir, owner):
        return False
    stop_postmaster(process)
    return True


def main(argv: list[str]) -> int:
    owner, data_dir, postmaster = int(argv[1]), Path(argv[2]), int(argv[3])
    sys.stdin.read()  # returns at EOF: the owner closed its end or died
    while alive(owner):
        time.sleep(0.5)
    stop_unless_used(data_dir, postmaster, owner)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the owner
    sys.exit(main(sys.argv))
