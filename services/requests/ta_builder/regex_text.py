"""Writing regular expressions that are valid, and alike, in Python and in Splunk's PCRE."""

from __future__ import annotations

import re

_SHAPE_TOKEN = re.compile(r"\d+|[A-Za-z]+|\s+|.", re.S)
_META = set(".^$*+?{}[]\\|()")


def regex_literal(text: str) -> str:
    """Escape ``text`` for a Splunk regex: metacharacters only, a final space as \\s."""
    escaped = "".join("\\" + ch if ch in _META else ch for ch in text)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\s"
    return escaped.replace("\t", "\\t")


def shape_of(prefix: str) -> str:
    """A regex for the text before a timestamp, generalising digits and words."""
    parts: list[str] = []
    for token in _SHAPE_TOKEN.findall(prefix):
        if token.isdigit():
            parts.append(r"\d+")
        elif token.isalpha() and token.isascii():
            parts.append("[A-Za-z]+")
        else:
            parts.append(
                regex_literal(token).replace(" ", "\\s")
                if token.isspace()
                else regex_literal(token)
            )
    return "".join(parts)
