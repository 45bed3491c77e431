"""Event type searches: the plain-search subset of SPL an eventtypes.conf ``search`` uses.

Supported: ``field=value`` / ``field!=value`` with ``*`` wildcards (case-insensitive values),
``field<number`` and friends, ``field IN (a, b)``, free-text terms and quoted phrases
(matched case-insensitively in the raw event), ``NOT``, ``AND``, ``OR`` (binding tighter
than the implicit AND, as in SPL) and parentheses. ``eventtype=`` and ``tag=`` compare
against the event types and tags already known for the event. A pipe is not allowed in an
event type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .errors import SearchSyntaxError

Fields = Mapping[str, list[str]]
Predicate = Callable[[Fields], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) | (?P<comma>,) | (?P<pipe>\|)
      | (?P<compare>[^\s()=!<>,"|]+)\s*(?P<op>!=|<=|>=|=|<|>)\s*
            (?P<value>"(?:[^"\\]|\\.)*"|[^\s()",|]*)
      | (?P<phrase>"(?:[^"\\]|\\.)*")
      | (?P<word>[^\s()",|]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    field: str = ""
    op: str = ""


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _tokenise(search: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    index = 0
    while index < len(search):
        if not search[index:].strip():
            break
        match = _TOKEN.match(search, index)
        if match is None or match.end() == index:
            raise SearchSyntaxError(f"cannot read the search at position {index}")
        kind = match.lastgroup or ""
        if match.group("compare") is not None:
            tokens.append(
                _Tok(
                    "compare",
                    _unquote(match.group("value")),
                    match.group("compare"),
                    match.group("op"),
                )
            )
        elif kind == "pipe":
            raise SearchSyntaxError("an event type search cannot contain a pipe (|)")
        elif kind == "phrase":
            tokens.append(_Tok("term", _unquote(match.group("phrase"))))
        elif kind == "word":
            tokens.append(_Tok("word", match.group("word")))
        else:
            tokens.append(_Tok(kind, match.group(kind)))
        index = match.end()
    return tokens


@lru_cache(maxsize=4096)
def _wildcard(value: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if ch == "*" else re.escape(ch) for ch in value), re.IGNORECASE | re.S
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _field_match(field: str, op: str, value: str) -> Predicate:
    if op in ("=", "!="):
        if value == "*":

            def exists(fields: Fields) -> bool:
                return any(v != "" for v in fields.get(field, ()))

            return exists if op == "=" else (lambda f: not exists(f))
        pattern = _wildcard(value)

        def equals(fields: Fields) -> bool:
            return any(pattern.fullmatch(v) for v in fields.get(field, ()))

        if op == "=":
            return equals
        return lambda f: field in f and not equals(f)
    limit = _number(value)
    if limit is None:
        raise SearchSyntaxError(f"{field}{op}{value}: the value is not a number")

    def compare(fields: Fields) -> bool:
        for raw in fields.get(field, ()):
            number = _number(raw)
            if number is None:
                continue
            if (
                (op == "<" and number < limit)
                or (op == ">" and number > limit)
                or (op == "<=" and number <= limit)
                or (op == ">=" and number >= limit)
            ):
                return True
        return False

    return compare


def _term(text: str) -> Predicate:
    pattern = _wildcard(f"*{text}*" if "*" not in text else text)

    def search_raw(fields: Fields) -> bool:
        return any(pattern.fullmatch(raw) for raw in fields.get("_raw", ()))

    return search_raw


class _Parser:
    def __init__(self, search: str) -> None:
        self.tokens = _tokenise(search)
        self.index = 0
        self.fields: set[str] = set()

    def peek(self) -> _Tok | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> Predicate:
        if not self.tokens:
            raise SearchSyntaxError("the search is empty")
        predicate = self.conjunction()
        if self.peek() is not None:
            raise SearchSyntaxError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return predicate

    def conjunction(self) -> Predicate:
        parts = [self.disjunction()]
        while (token := self.peek()) is not None and token.kind != "rparen":
            if token.kind == "word" and token.text == "AND":
                self.index += 1
            parts.append(self.disjunction())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def disjunction(self) -> Predicate:
        parts = [self.negation()]
        while (token := self.peek()) is not None and token.kind == "word" and token.text == "OR":
            self.index += 1
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def negation(self) -> Predicate:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text == "NOT":
            self.index += 1
            inner = self.negation()
            return lambda f: not inner(f)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise SearchSyntaxError("the search ends where a term was expected")
        self.index += 1
        if token.kind == "lparen":
            inner = self.conjunction()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise SearchSyntaxError("a parenthesis is not closed")
            self.index += 1
            return inner
        if token.kind == "compare":
            self.fields.add(token.field)
            return _field_match(token.field, token.op, token.text)
        if token.kind == "word":
            following = self.peek()
            if following is not None and following.kind == "word" and following.text == "IN":
                return self.in_list(token.text)
            if token.text in ("AND", "OR", "NOT"):
                raise SearchSyntaxError(f"{token.text} is missing an operand")
            return _term(token.text)
        if token.kind == "term":
            return _term(token.text)
        raise SearchSyntaxError(f"unexpected {token.text!r}")

    def in_list(self, field: str) -> Predicate:
        self.index += 1
        opening = self.peek()
        if opening is None or opening.kind != "lparen":
            raise SearchSyntaxError(f"{field} IN must be followed by a list in parentheses")
        self.index += 1
        options: list[Predicate] = []
        while (token := self.peek()) is not None and token.kind != "rparen":
            self.index += 1
            if token.kind == "comma":
                continue
            if token.kind not in ("word", "term"):
                raise SearchSyntaxError(f"unexpected {token.text!r} in the IN list of {field}")
            options.append(_field_match(field, "=", token.text))
        if self.peek() is None:
            raise SearchSyntaxError(f"the IN list of {field} is not closed")
        self.index += 1
        self.fields.add(field)
        return lambda f: any(o(f) for o in options)


@dataclass(frozen=True)
class EventtypeSearch:
    source: str
    predicate: Predicate
    fields: frozenset[str]

    def matches(self, fields: Fields) -> bool:
        return self.predicate(fields)


def compile_search(search: str) -> EventtypeSearch:
    """Parse an event type search; SearchSyntaxError says what is wrong."""
    parser = _Parser(search)
    predicate = parser.parse()
    return EventtypeSearch(search, predicate, frozenset(parser.fields))
