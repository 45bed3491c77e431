"""The embedded default database: real PostgreSQL 16 from the pgserver wheel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

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

    def start(self) -> str:
        import pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir.resolve(), cleanup_mode="stop")
        url = to_asyncpg_url(self._server.get_uri())
        log.info("embedded PostgreSQL running in %s", self.data_dir)
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
