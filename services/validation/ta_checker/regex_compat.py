"""Compiling Splunk (PCRE) regular expressions with the ``regex`` module (version 1).

``regex`` in V1 mode reads nearly all of PCRE as Splunk add-ons write it: ``(?<name>...)``,
``\\h``, ``\\z``, ``\\K``, branch reset ``(?|...)``, atomic groups, possessive quantifiers
and inline flags in the middle of a pattern (scoped from there on). The only spelling
rewritten here is ``(?'name'...)``. Constructs it cannot run (recursion, subroutine calls,
``\\g`` back-references by number) are reported as unsupported rather than invalid.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from .errors import RegexError

SplunkRegex = regex.Pattern  # a compiled Splunk regex (``regex.Pattern[str]``)

_UNSUPPORTED = (
    (re.compile(r"\(\?R\)|\(\?[+-]?\d+\)|\(\?&\w+\)|\(\?P>\w+\)"), "recursion"),
    (re.compile(r"\\g\{?-?\d+\}?|\\g<\w+>"), "\\g back-reference"),
)
_QUOTED_NAME = re.compile(r"(?<!\\)\(\?'(\w+)'")


class UnsupportedRegexError(RegexError):
    """The regex uses a PCRE feature the checker cannot emulate (it may be valid)."""


@lru_cache(maxsize=1024)
def compile_splunk_regex(pattern: str) -> SplunkRegex[str]:
    """Compile a Splunk regex; raise RegexError (or UnsupportedRegexError) if impossible."""
    for detector, name in _UNSUPPORTED:
        if detector.search(pattern):
            raise UnsupportedRegexError(f"uses {name}, which the checker cannot emulate")
    try:
        return regex.compile(_QUOTED_NAME.sub(r"(?<\1>", pattern), regex.V1)
    except (regex.error, ValueError) as exc:
        raise RegexError(f"does not compile: {exc}") from exc


def named_groups(pattern: SplunkRegex[str]) -> list[str]:
    return list(pattern.groupindex)
