"""The embedded default database: real PostgreSQL 16 from the pgserver wheel, stopped with
its owner even when the owner is killed (see services/kernel/postgres_watchdog.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.kernel.postgres_watchdog import stop_unless_used

log = logging.getLogger(__name__)


def to_asyncpg_url(url: str) -> str:
    """postgresql://... (libpq style, socket dir in ?host=) as a SQLAlchemy asyncpg URL."""
    parsed = sa.make_url(url)
    if parsed.password == "":
        parsed = parsed.set(password=None)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir`; stopped by `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None
        self._watchdog: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        import pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir.resolve(), cleanup_mode="stop")
        self._watchdog = _start_watchdog(self.data_dir.resolve(), self.postmaster_pid)
        url = to_asyncpg_url(self._server.get_uri())
        log.info("embedded PostgreSQL running in %s", self.data_dir)
        return url

    @property
    def postmaster_pid(self) -> int:
        """The process id of the running server."""
        assert self._server is not None, "not started"
        return int(self._server.get_postmaster_info().process.pid)

    def stop(self) -> None:
        """Stop the server, unless another live process uses it. pgserver alone would leave
        it running when a user it once registered was killed (its pid stays in the list)."""
        if self._server is not None:
            postmaster = self.postmaster_pid
            self._server.cleanup()
            self._server = None
            stop_unless_used(self.data_dir.resolve(), postmaster, os.getpid())
        if self._watchdog is not None:
            assert self._watchdog.stdin is not None
            self._watchdog.stdin.close()  # the watchdog wakes, finds the server stopped
            self._watchdog = None


def _start_watchdog(data_dir: Path, postmaster_pid: int) -> subprocess.Popen[bytes]:
    """A detached process that stops the server if this process dies without stopping it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.kernel.postgres_watchdog",
            str(os.getpid()),
            str(data_dir),
            str(postmaster_pid),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=Path(__file__).resolve().parents[2],
    )
