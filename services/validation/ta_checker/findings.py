"""Findings: errors and warnings located by file, stanza, key and line."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    file: str | None = None
    stanza: str | None = None
    key: str | None = None
    line: int | None = None
    # A few events showing the problem (their raw text, shortened).
    examples: tuple[str, ...] = ()

    def where(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.stanza is not None:
            parts.append(f"[{self.stanza}]")
        if self.key:
            parts.append(self.key)
        return " ".join(parts)

    def text(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.text()}
        for name in ("file", "stanza", "key", "line"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.examples:
            out["examples"] = list(self.examples)
        return out


def error(code: str, message: str, **where: Any) -> Finding:
    return Finding(Severity.ERROR, code, message, **where)


def warning(code: str, message: str, **where: Any) -> Finding:
    return Finding(Severity.WARNING, code, message, **where)
