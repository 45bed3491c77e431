"""Reading and writing Splunk ``.conf`` files.

Splunk's configuration files are INI-like: ``[stanza]`` headers, ``key = value`` settings,
``#`` comment lines and values continued onto the next line with a trailing backslash.
Settings before the first stanza belong to the ``default`` stanza. Splunk merges a stanza
that appears twice in one file and lets a repeated key override the earlier one; both are
almost always mistakes in a shipped add-on, so the parser keeps Splunk's merged view *and*
records every duplicate with its file and line numbers.

This module is shared by the TA generator (rendering) and the TA checker (parsing).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_STANZA = "default"


class ConfError(ValueError):
    """Base class for problems with a .conf file."""


class ConfDecodeError(ConfError):
    """The file is not valid UTF-8 text."""


class ConfRenderError(ConfError):
    """A value cannot be written to a .conf file without changing its meaning."""


class ConfIssueKind(StrEnum):
    DUPLICATE_STANZA = "duplicate_stanza"
    DUPLICATE_KEY = "duplicate_key"
    INVALID_LINE = "invalid_line"
    EMPTY_KEY = "empty_key"
    DANGLING_CONTINUATION = "dangling_continuation"


@dataclass(frozen=True)
class ConfIssue:
    """Something wrong with a .conf file, located by file, line, stanza and key."""

    kind: ConfIssueKind
    path: str
    line: int
    stanza: str | None
    key: str | None
    message: str
    first_line: int | None = None

    def location(self) -> str:
        parts = [f"{self.path}:{self.line}"]
        if self.stanza is not None:
            parts.append(f"[{self.stanza}]")
        if self.key is not None:
            parts.append(self.key)
        return " ".join(parts)


class ConfStrictError(ConfError):
    """Raised by :func:`parse_conf_text` in strict mode when the file has issues."""

    def __init__(self, issues: Sequence[ConfIssue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0]
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(f"{first.location()}: {first.message}{more}")


@dataclass(frozen=True)
class ConfSetting:
    key: str
    value: str
    line: int


@dataclass
class ConfStanza:
    name: str
    line: int
    settings: dict[str, ConfSetting] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        setting = self.settings.get(key)
        return setting.value if setting is not None else default

    def line_of(self, key: str) -> int:
        setting = self.settings.get(key)
        return setting.line if setting is not None else self.line

    def keys(self) -> list[str]:
        return list(self.settings)

    def items(self) -> Iterator[tuple[str, str]]:
        for key, setting in self.settings.items():
            yield key, setting.value

    def with_prefix(self, prefix: str) -> list[ConfSetting]:
        """Settings whose key starts with ``prefix`` (e.g. ``EXTRACT-``), sorted by key."""
        found = [s for k, s in self.settings.items() if k.startswith(prefix)]
        return sorted(found, key=lambda s: s.key)

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in self.items()}


@dataclass
class ConfFile:
    path: str
    stanzas: dict[str, ConfStanza] = field(default_factory=dict)
    issues: list[ConfIssue] = field(default_factory=list)

    def stanza(self, name: str) -> ConfStanza | None:
        return self.stanzas.get(name)

    def names(self) -> list[str]:
        return list(self.stanzas)

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {name: stanza.as_dict() for name, stanza in self.stanzas.items()}


def _logical_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """Yield (first physical line number, logical line, ended_in_continuation).

    A physical line ending in a backslash continues on the next one; the joined value keeps
    a newline where the backslash was, as Splunk does for multi-line values.
    """
    physical = text.splitlines()
    index = 0
    while index < len(physical):
        start = index + 1
        line = physical[index]
        index += 1
        pieces: list[str] = []
        dangling = False
        while line.endswith("\\"):
            pieces.append(line[:-1])
            if index >= len(physical):
                dangling = True
                line = ""
                break
            line = physical[index]
            index += 1
        pieces.append(line)
        yield start, "\n".join(pieces), dangling


def parse_conf_text(text: str, path: str, *, strict: bool = False) -> ConfFile:
    """Parse the text of a .conf file; ``path`` is used in messages only."""
    conf = ConfFile(path=path)
    current: ConfStanza | None = None

    def ensure_default(line_no: int) -> ConfStanza:
        existing = conf.stanzas.get(DEFAULT_STANZA)
        if existing is None:
            existing = ConfStanza(DEFAULT_STANZA, line_no)
            conf.stanzas[DEFAULT_STANZA] = existing
        return existing

    for line_no, logical, dangling in _logical_lines(text.lstrip("\ufeff")):
        stripped = logical.strip()
        if dangling:
            conf.issues.append(
                ConfIssue(
                    ConfIssueKind.DANGLING_CONTINUATION,
                    path,
                    line_no,
                    current.name if current else None,
                    None,
                    "the last line ends with a continuation backslash",
                )
            )
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]") and "\n" not in stripped:
            name = stripped[1:-1].strip()
            existing = conf.stanzas.get(name)
            if existing is not None:
                conf.issues.append(
                    ConfIssue(
                        ConfIssueKind.DUPLICATE_STANZA,
                        path,
                        line_no,
                        name,
                        None,
                        f"stanza [{name}] is defined again (first at line {existing.line}); "
                        "Splunk merges the two and the later keys win",
                        first_line=existing.line,
                    )
                )
                current = existing
            else:
                current = ConfStanza(name, line_no)
                conf.stanzas[name] = current
            continue
        if "=" not in logical:
            conf.issues.append(
                ConfIssue(
                    ConfIssueKind.INVALID_LINE,
                    path,
                    line_no,
                    current.name if current else None,
                    None,
                    f"line is neither a [stanza], a comment nor a key = value setting: "
                    f"{stripped[:60]!r}",
                )
            )
            continue
        raw_key, raw_value = logical.split("=", 1)
        key = raw_key.strip()
        value = raw_value.strip()
        stanza = current if current is not None else ensure_default(line_no)
        if not key:
            conf.issues.append(
                ConfIssue(
                    ConfIssueKind.EMPTY_KEY,
                    path,
                    line_no,
                    stanza.name,
                    None,
                    "setting has an empty key",
                )
            )
            continue
        previous = stanza.settings.get(key)
        if previous is not None:
            conf.issues.append(
                ConfIssue(
                    ConfIssueKind.DUPLICATE_KEY,
                    path,
                    line_no,
                    stanza.name,
                    key,
                    f"key {key} is set again in [{stanza.name}] (first at line {previous.line}); "
                    "the later value wins",
                    first_line=previous.line,
                )
            )
        stanza.settings[key] = ConfSetting(key, value, line_no)
    if strict and conf.issues:
        raise ConfStrictError(conf.issues)
    return conf


def decode_conf_bytes(data: bytes, path: str) -> str:
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfDecodeError(f"{path}: not valid UTF-8 at byte {exc.start}") from exc


def parse_conf_bytes(data: bytes, path: str, *, strict: bool = False) -> ConfFile:
    return parse_conf_text(decode_conf_bytes(data, path), path, strict=strict)


StanzaSpec = tuple[str, Sequence[tuple[str, str]]]


def _render_value(stanza: str, key: str, value: str) -> str:
    if value != value.strip():
        raise ConfRenderError(f"[{stanza}] {key}: value has leading or trailing whitespace")
    lines = value.split("\n")
    for piece in lines:
        if piece.endswith("\\"):
            raise ConfRenderError(
                f"[{stanza}] {key}: a line of the value ends with a backslash, "
                "which Splunk would read as a continuation"
            )
    return "\\\n".join(lines)


def render_conf(stanzas: Iterable[StanzaSpec], *, header: Sequence[str] = ()) -> str:
    """Render stanzas (in the given order) as .conf text with a trailing newline."""
    out: list[str] = [f"# {line}".rstrip() for line in header]
    seen: set[str] = set()
    for name, settings in stanzas:
        if name in seen:
            raise ConfRenderError(f"stanza [{name}] rendered twice")
        seen.add(name)
        if "\n" in name or name != name.strip():
            raise ConfRenderError(f"invalid stanza name {name!r}")
        if out:
            out.append("")
        out.append(f"[{name}]")
        keys: set[str] = set()
        for key, value in settings:
            if key in keys:
                raise ConfRenderError(f"[{name}] {key}: key rendered twice")
            keys.add(key)
            if not key or "=" in key or key != key.strip() or key.startswith(("#", "[")):
                raise ConfRenderError(f"[{name}]: invalid key {key!r}")
            out.append(f"{key} = {_render_value(name, key, value)}".rstrip(" "))
    return "\n".join(out) + "\n"
