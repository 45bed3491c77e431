"""Search-time field extraction in Splunk's order of operations.

1. inline extractions (EXTRACT-<class>, classes in ASCII order)
2. transform extractions (REPORT-<class>, classes in ASCII order, transforms as listed)
3. automatic key/value extraction (KV_MODE)
4. field aliases (FIELDALIAS-<class>)
5. calculated fields (EVAL-<field>, all computed from the fields as they were before)
6. event types, then tags

An extraction never replaces a field an earlier one set (unless MV_ADD, which appends).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import EvalUnsupportedError
from .pipeline import SearchTimeConfig, TransformRule
from .search_expr import EventtypeSearch

Fields = dict[str, list[str]]
_AUTO_KV = re.compile(
    r"""(?<![\w.:-])([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|([^\s,;"]*))"""
)
_KEY_GROUP = re.compile(r"^_KEY_(\w+)$")
_CLEAN = re.compile(r"[^A-Za-z0-9_]")


def _add(fields: Fields, name: str, value: str, *, mv_add: bool = False) -> None:
    if not name or value == "":
        return
    existing = fields.get(name)
    if existing is None:
        fields[name] = [value]
    elif mv_add and value not in existing:
        existing.append(value)


def auto_kv(text: str) -> Iterator[tuple[str, str]]:
    for match in _AUTO_KV.finditer(text):
        quoted, bare = match.group(2), match.group(3)
        yield match.group(1), quoted if quoted is not None else bare


def _flatten_json(value: object, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _flatten_json(child, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for child in value:
            yield from _flatten_json(child, f"{prefix}{{}}")
    elif value is None:
        return
    elif value is True or value is False:
        yield prefix, "true" if value else "false"
    elif isinstance(value, int | float):
        yield prefix, json.dumps(value)
    else:
        yield prefix, str(value)


def json_kv(text: str) -> list[tuple[str, str]]:
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return []
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return []
    return list(_flatten_json(parsed, ""))


def _flatten_xml(element: ET.Element, prefix: str) -> Iterator[tuple[str, str]]:
    name = f"{prefix}.{element.tag}" if prefix else str(element.tag)
    for attribute, value in element.attrib.items():
        yield f"{name}{{@{attribute}}}", value
    children = list(element)
    text = (element.text or "").strip()
    if text and not children:
        yield name, text
    for child in children:
        yield from _flatten_xml(child, name)


def xml_kv(text: str) -> list[tuple[str, str]]:
    stripped = text.strip()
    if not stripped.startswith("<"):
        return []
    try:
        root = ET.fromstring(stripped)
    except ET.ParseError:
        return []
    return list(_flatten_xml(root, ""))


def _expand(template: str, match: re.Match[str]) -> str:
    return re.sub(r"\$(\d+)", lambda m: match.group(int(m.group(1))) or "", template)


def _clean_key(name: str) -> str:
    return _CLEAN.sub("_", name).strip("_")


def _split_respecting_quotes(text: str, delimiters: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            continue
        if char in delimiters and not quoted:
            cells.append("".join(current))
            current = []
            continue
        current.append(char)
    cells.append("".join(current))
    return cells


def apply_transform(rule: TransformRule, fields: Fields) -> None:
    source_values = fields.get(rule.source_key)
    if not source_values:
        return
    source = source_values[0]
    if rule.delims is not None:
        pair_delims = rule.delims[0]
        if rule.fields is not None:
            cells = _split_respecting_quotes(source, pair_delims)
            for name, cell in zip(rule.fields, cells, strict=False):
                if cell or rule.keep_empty:
                    _add(fields, name, cell.strip(), mv_add=rule.mv_add)
        elif len(rule.delims) == 2:
            for pair in _split_respecting_quotes(source, pair_delims):
                key, sep, value = _partition_any(pair, rule.delims[1])
                if sep:
                    name = _clean_key(key) if rule.clean_keys else key.strip()
                    _add(fields, name, value.strip(), mv_add=rule.mv_add)
        return
    if rule.regex is None:
        return
    if rule.format is None:
        matches = rule.regex.finditer(source) if rule.mv_add else [rule.regex.search(source)]
        for match in matches:
            if match is None:
                continue
            _named_groups(match, fields, rule.mv_add)
        return
    for match in rule.regex.finditer(source):
        for name_template, value_template in rule.format:
            name = _expand(name_template, match)
            if rule.clean_keys:
                name = _clean_key(name)
            _add(fields, name, _expand(value_template, match), mv_add=rule.mv_add)


def _partition_any(text: str, separators: str) -> tuple[str, str, str]:
    positions = [p for p in (text.find(s) for s in separators) if p >= 0]
    if not positions:
        return text, "", ""
    cut = min(positions)
    return text[:cut], text[cut], text[cut + 1 :]


def _named_groups(match: re.Match[str], fields: Fields, mv_add: bool) -> None:
    groups = match.groupdict()
    for name, value in groups.items():
        if value is None or name.startswith(("_KEY_", "_VAL_")):
            continue
        _add(fields, name, value, mv_add=mv_add)
    for name, key in groups.items():
        found = _KEY_GROUP.match(name)
        if found and key:
            value = groups.get(f"_VAL_{found.group(1)}")
            if value is not None:
                _add(fields, _clean_key(key), value, mv_add=mv_add)


@dataclass(frozen=True)
class TagIndex:
    """tags.conf: enabled tags per eventtype and per field=value."""

    by_eventtype: Mapping[str, frozenset[str]]
    by_field_value: Mapping[tuple[str, str], frozenset[str]]


@dataclass
class ExtractedEvent:
    fields: Fields
    eventtypes: list[str]
    tags: set[str]
    eval_failures: list[str] = field(default_factory=list)


DEFAULT_FIELDS = frozenset(
    {
        "_raw",
        "_time",
        "host",
        "source",
        "sourcetype",
        "index",
        "linecount",
        "eventtype",
        "tag",
        "punct",
        "splunk_server",
        "timestamp",
    }
)


class SearchTimeExtractor:
    def __init__(
        self,
        config: SearchTimeConfig,
        eventtypes: Sequence[tuple[str, EventtypeSearch]],
        tags: TagIndex,
    ) -> None:
        self.config = config
        self.eventtypes = sorted(eventtypes, key=lambda item: item[0])
        self.tags = tags
        self.eval_failures: Counter[str] = Counter()

    def apply(self, base: Fields) -> ExtractedEvent:
        """Extract the fields of one event; ``base`` (the default fields) is updated in place."""
        fields = base
        raw = fields["_raw"][0]
        for _, pattern, in_field in self.config.extracts:
            source = fields.get(in_field or "_raw")
            if not source:
                continue
            match = pattern.search(source[0])
            if match is not None:
                _named_groups(match, fields, mv_add=False)
        for _, rules in self.config.reports:
            for rule in rules:
                apply_transform(rule, fields)
        mode = self.config.kv_mode
        pairs: list[tuple[str, str]] | Iterator[tuple[str, str]] = []
        if mode == "json":
            pairs = json_kv(raw)
        elif mode == "xml":
            pairs = xml_kv(raw)
        elif mode in ("auto", "auto_escaped"):
            pairs = json_kv(raw) if raw.lstrip().startswith("{") else auto_kv(raw)
        from_kv: set[str] = set()
        for name, value in pairs:
            if name not in fields or name in from_kv:
                from_kv.add(name)
                _add(fields, name, value, mv_add=True)
        for _, aliases in self.config.aliases:
            snapshot = dict(fields)
            for source_name, target, overwrite in aliases:
                values = snapshot.get(source_name)
                if values and (overwrite or target not in fields):
                    fields[target] = list(values)
        failures: list[str] = []
        if self.config.evals:
            snapshot = dict(fields)
            results: dict[str, list[str] | None] = {}
            for name, expression in self.config.evals:
                try:
                    results[name] = expression.evaluate(snapshot)
                except EvalUnsupportedError:
                    failures.append(name)
                    self.eval_failures[name] += 1
            for name, values in results.items():
                if values is None:
                    fields.pop(name, None)
                else:
                    fields[name] = values
        matched: list[str] = []
        for _ in range(2):  # a second pass lets eventtype=... references see the first
            fields["eventtype"] = list(matched)
            matched = [name for name, search in self.eventtypes if search.matches(fields)]
        fields["eventtype"] = matched
        tags: set[str] = set()
        for name in matched:
            tags |= self.tags.by_eventtype.get(name, frozenset())
        for (field_name, value), field_tags in self.tags.by_field_value.items():
            if value in fields.get(field_name, ()):
                tags |= field_tags
        if tags:
            fields["tag"] = sorted(tags)
        else:
            fields.pop("tag", None)
        if not matched:
            fields.pop("eventtype", None)
        return ExtractedEvent(fields, matched, tags, failures)
