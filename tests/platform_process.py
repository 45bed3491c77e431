"""`tagen run` (what `make run` starts) as a child process on the embedded default, on free
ports, for the tests and benchmarks that drive the whole platform through its HTTP gateway."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXTS = ("identity", "requests", "validation", "knowledge", "audit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Platform:
    process: subprocess.Popen[str]
    base_url: str
    #: Every line the platform printed so far (kept up to date by a reader thread).
    output: list[str]


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading the platform's output: a pipe nobody reads fills up (64 KiB of logs) and
    then blocks the platform in the middle of whatever it logs."""
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


@contextlib.contextmanager
def run_platform(data_dir: Path, env: Mapping[str, str]) -> Iterator[Platform]:
    """The platform with DATA_DIR `data_dir` and `env` on top of this process's environment,
    ready (or the test fails with its output); killed when the block ends."""
    gateway_port = free_port()
    full_env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "GATEWAY_PORT": str(gateway_port),
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "64",
        **{f"{context.upper()}_PORT": str(free_port()) for context in CONTEXTS},
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if "platform ready" in line:
            break
    if not any("platform ready" in line for line in output):
        process.kill()
        raise RuntimeError("tagen run did not start:\n" + "".join(output[-40:]))
    assert any(f"gateway listening on http://127.0.0.1:{gateway_port}" in x for x in output)
    reader = threading.Thread(target=_drain, args=(process, output), daemon=True)
    reader.start()
    try:
        yield Platform(process, f"http://127.0.0.1:{gateway_port}", output)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        reader.join(10)
