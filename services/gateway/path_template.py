"""Path templates of `google.api.http` rules, parsed and matched the way grpc-gateway does.

Grammar (google/api/http.proto):

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb     = ":" LITERAL ;

`{var}` is `{var=*}` (one segment); `**` matches zero or more segments and may only be the
last segment. A path is split on "/" before percent-decoding, so an encoded slash stays
inside a single-segment variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    """A template that does not follow the grammar."""


class SegmentKind(Enum):
    LITERAL = "literal"
    SINGLE = "*"
    MULTI = "**"


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    literal: str = ""


@dataclass(frozen=True)
class Variable:
    """A field path bound to the segments [start, end) of the template."""

    field_path: tuple[str, ...]
    start: int
    end: int

    @property
    def name(self) -> str:
        return ".".join(self.field_path)


@dataclass(frozen=True)
class PathTemplate:
    source: str
    segments: tuple[Segment, ...]
    variables: tuple[Variable, ...]
    verb: str

    @property
    def has_multi(self) -> bool:
        return bool(self.segments) and self.segments[-1].kind is SegmentKind.MULTI

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Larger is more specific: a verb, more literal segments, no `**`."""
        literals = sum(1 for s in self.segments if s.kind is SegmentKind.LITERAL)
        return (1 if self.verb else 0, literals, 0 if self.has_multi else 1)

    def parameter_names(self, taken: frozenset[str] = frozenset()) -> dict[Variable, str]:
        """OpenAPI parameter names: the field's own name (`metadata.request_id` is
        `request_id`), or the whole path joined by "_" when that name is shared with another
        variable or `taken` by a query parameter. Equal templates then get equal OpenAPI
        paths, as OpenAPI requires, and no name needs dots (which many tools mis-read)."""
        leaves = [v.field_path[-1] for v in self.variables]
        return {
            v: v.field_path[-1]
            if leaves.count(v.field_path[-1]) == 1 and v.field_path[-1] not in taken
            else "_".join(v.field_path)
            for v in self.variables
        }

    def openapi_path(self, taken: frozenset[str] = frozenset()) -> str:
        """The template in OpenAPI path syntax, each variable named by `parameter_names`."""
        parts: list[str] = []
        index = 0
        by_start = {v.start: v for v in self.variables}
        names = self.parameter_names(taken)
        while index < len(self.segments):
            variable = by_start.get(index)
            if variable is not None:
                parts.append("{" + names[variable] + "}")
                index = max(variable.end, index + 1)
                continue
            segment = self.segments[index]
            parts.append(
                segment.literal if segment.kind is SegmentKind.LITERAL else segment.kind.value
            )
            index += 1
        return "/" + "/".join(parts) + (":" + self.verb if self.verb else "")

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Variables by field path when the raw (still encoded) segments match, else None.

        `segments` is the path split on "/" without the leading empty element; with a
        verb template the caller passes the segments with the verb already removed.
        """
        own = self.segments
        if self.has_multi:
            if len(segments) < len(own) - 1:
                return None
        elif len(segments) != len(own):
            return None
        for index, segment in enumerate(own):
            if segment.kind is SegmentKind.LITERAL:
                if (
                    segments[index] != segment.literal
                    and unquote(segments[index]) != segment.literal
                ):
                    return None
            elif segment.kind is SegmentKind.SINGLE and not segments[index]:
                return None
        values: dict[str, str] = {}
        for variable in self.variables:
            if (
                variable.end - variable.start == 1
                and own[variable.start].kind is SegmentKind.SINGLE
            ):
                values[variable.name] = unquote(segments[variable.start], errors="strict")
                continue
            end = len(segments) if own[variable.end - 1].kind is SegmentKind.MULTI else variable.end
            values[variable.name] = "/".join(
                unquote(s, errors="strict") for s in segments[variable.start : end]
            )
        return values


def parse_template(source: str) -> PathTemplate:
    """Parse a template; raises TemplateError when it does not follow the grammar."""
    if not source.startswith("/"):
        raise TemplateError(f"{source!r}: a path template starts with '/'")
    body, verb = _split_verb(source)
    parser = _Parser(source, body[1:])
    segments, variables = parser.parse()
    for index, segment in enumerate(segments):
        if segment.kind is SegmentKind.MULTI and index != len(segments) - 1:
            raise TemplateError(f"{source!r}: '**' may only be the last segment")
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        raise TemplateError(f"{source!r}: a variable appears twice")
    return PathTemplate(source, tuple(segments), tuple(variables), verb)


def _split_verb(source: str) -> tuple[str, str]:
    depth = 0
    colon = -1
    for index, char in enumerate(source):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ":" and depth == 0:
            colon = index
        elif char == "/" and depth == 0:
            colon = -1
    if colon < 0:
        return source, ""
    verb = source[colon + 1 :]
    if not verb or "/" in verb or "{" in verb or "}" in verb:
        raise TemplateError(f"{source!r}: a custom verb is ':' and a literal at the end")
    return source[:colon], verb


class _Parser:
    def __init__(self, source: str, text: str) -> None:
        self.source, self.text, self.pos = source, text, 0
        self.segments: list[Segment] = []
        self.variables: list[Variable] = []

    def fail(self, why: str) -> TemplateError:
        return TemplateError(f"{self.source!r}: {why}")

    def parse(self) -> tuple[list[Segment], list[Variable]]:
        if not self.text:
            raise self.fail("the path has no segment")
        self.segments_until(end="")
        return self.segments, self.variables

    def segments_until(self, end: str) -> None:
        while True:
            self.segment(inside_variable=bool(end))
            if self.pos >= len(self.text) or self.text[self.pos] == end:
                return
            if self.text[self.pos] != "/":
                raise self.fail(f"unexpected {self.text[self.pos]!r}")
            self.pos += 1

    def segment(self, inside_variable: bool) -> None:
        rest = self.text[self.pos :]
        if rest.startswith("{"):
            if inside_variable:
                raise self.fail("variables do not nest")
            self.variable()
            return
        stop = len(rest)
        for index, char in enumerate(rest):
            if char in "/{}=" or (char == "}" and inside_variable):
                stop = index
                break
        token = rest[:stop]
        self.pos += stop
        if token == "**":
            self.segments.append(Segment(SegmentKind.MULTI))
        elif token == "*":
            self.segments.append(Segment(SegmentKind.SINGLE))
        elif token and "*" not in token:
            self.segments.append(Segment(SegmentKind.LITERAL, token))
        else:
            raise self.fail(f"bad segment {token!r}")

    def variable(self) -> None:
        close = self.text.find("}", self.pos)
        if close < 0:
            raise self.fail("unclosed variable")
        inner = self.text[self.pos + 1 : close]
        name, has_pattern, _ = inner.partition("=")
        path = tuple(name.split("."))
        if not all(_IDENT.match(part) for part in path):
            raise self.fail(f"bad field path {name!r}")
        start = len(self.segments)
        if has_pattern:
            self.pos += 1 + len(name) + 1
            self.segments_until(end="}")
            if self.pos >= len(self.text) or self.text[self.pos] != "}":
                raise self.fail("unclosed variable")
        else:
            self.segments.append(Segment(SegmentKind.SINGLE))
            self.pos = close
        self.pos += 1
        self.variables.append(Variable(path, start, len(self.segments)))
