"""The bounded text log of one validation run (validation_logs)."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_LOG_CHARS = 32 * 1024
TRUNCATED = "[log truncated]"


class RunLog:
    """Timestamped lines; once the log reaches its bound, further lines are dropped."""

    def __init__(self, limit: int = MAX_LOG_CHARS) -> None:
        self.limit = limit
        self._lines: list[str] = []
        self._size = 0
        self._full = False

    def add(self, message: str) -> None:
        if self._full:
            return
        line = f"{datetime.now(UTC).strftime('%H:%M:%S.%f')[:-3]} {message}"
        if self._size + len(line) + 1 > self.limit - len(TRUNCATED) - 1:
            self._lines.append(TRUNCATED)
            self._full = True
            return
        self._lines.append(line)
        self._size += len(line) + 1

    def text(self) -> str:
        return "\n".join(self._lines)
