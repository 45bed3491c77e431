"""Compiling Splunk (PCRE) regular expressions with Python's ``re``.

Python 3.11 understands most of what Splunk add-ons use, including atomic groups and
possessive quantifiers. The differences handled here are PCRE's named-group spellings
``(?<name>...)`` and ``(?'name'...)``, ``\\h``, ``\\z``, and inline flags in the middle of a
pattern (scoped to the rest of the pattern). Constructs with no Python equivalent (``\\K``,
branch reset, recursion, subroutine calls) are reported as unsupported rather than invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import RegexError

_UNSUPPORTED = (
    (re.compile(r"(?<!\\)(?:\\\\)*\\K"), "\\K"),
    (re.compile(r"\(\?\|"), "branch reset (?|"),
    (re.compile(r"\(\?R\)|\(\?[+-]?\d+\)|\(\?&\w+\)|\(\?P>\w+\)"), "recursion"),
    (re.compile(r"\\g\{?-?\d+\}?|\\g<\w+>"), "\\g back-reference"),
)


class UnsupportedRegexError(RegexError):
    """The regex uses a PCRE feature the checker cannot emulate (it may be valid)."""


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    in_class = False
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\" and index + 1 < length:
            nxt = pattern[index + 1]
            if nxt == "h" and not in_class:
                out.append(r"[ \t]")
            elif nxt == "h":
                out.append(r" \t")
            elif nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z":
                out.append(r"(?=\n?\Z)")
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            index += 1
            if index < length and pattern[index] == "^":
                out.append("^")
                index += 1
            if index < length and pattern[index] == "]":
                out.append("\\]")
                index += 1
            continue
        if (
            pattern.startswith("(?<", index)
            and index + 3 < length
            and pattern[index + 3] not in "=!"
        ):
            out.append("(?P<")
            index += 3
            continue
        if pattern.startswith("(?'", index):
            end = pattern.find("'", index + 3)
            if end > 0:
                out.append(f"(?P<{pattern[index + 3 : end]}>")
                index = end + 1
                continue
        flags = re.match(r"\(\?([imsx]+)\)", pattern[index:])
        if flags and index > 0:
            rest = _translate(pattern[index + flags.end() :])
            out.append(f"(?{flags.group(1)}:{rest})")
            return "".join(out)
        out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def compile_splunk_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Splunk regex; raise RegexError (or UnsupportedRegexError) if impossible."""
    for detector, name in _UNSUPPORTED:
        if detector.search(pattern):
            raise UnsupportedRegexError(f"uses {name}, which the checker cannot emulate")
    try:
        return re.compile(_translate(pattern))
    except re.error as exc:
        raise RegexError(f"does not compile: {exc}") from exc


def named_groups(pattern: re.Pattern[str]) -> list[str]:
    return list(pattern.groupindex)
