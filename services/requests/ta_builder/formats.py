"""Event formats the generator recognises, and the fields found in each."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class LogFormat(StrEnum):
    JSON = "json"
    XML = "xml"
    CISCO_ASA = "cisco_asa"
    APACHE_ACCESS = "apache_access"
    APACHE_ERROR = "apache_error"
    SYSLOG = "syslog"
    KV = "kv"
    CSV = "csv"
    TEXT = "text"


# The source type "kind" suffix used for each format.
FORMAT_KIND: dict[LogFormat, str] = {
    LogFormat.JSON: "json",
    LogFormat.XML: "xml",
    LogFormat.CISCO_ASA: "firewall",
    LogFormat.APACHE_ACCESS: "access",
    LogFormat.APACHE_ERROR: "error",
    LogFormat.SYSLOG: "syslog",
    LogFormat.KV: "kv",
    LogFormat.CSV: "csv",
    LogFormat.TEXT: "log",
}

APACHE_ACCESS_RE = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" \d{3} (?:\d+|-)(?P<combined> "[^"]*" "[^"]*")?'
)
APACHE_ERROR_RE = re.compile(r"^\[[^\]]+\] \[(?:[\w-]+:)?\w+\]")
CISCO_ASA_RE = re.compile(r"%ASA-\d-\d{6}:")
_SYSLOG_TIME = (
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]?\d \d{2}:\d{2}:\d{2}"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
)
SYSLOG_RFC3164_RE = re.compile(
    rf"^(?:<\d{{1,3}}>)?{_SYSLOG_TIME} (?P<host>[\w.:-]+) "
    r"(?P<process>[\w./@-]+(?:\([\w.:/@-]+\))?)(?:\[(?P<pid>\d+)\])?:? "
)
SYSLOG_RFC5424_RE = re.compile(r"^<\d{1,3}>\d{1,2} \S+ \S+ \S+ \S+ \S+ ")
# Authentication outcomes in syslog: OpenSSH's (the process may carry a PAM module,
# ``sshd(pam_unix)[19939]``, and a line may be a "message repeated" summary) and PAM's.
_SSHD = r"sshd(?:\([\w:]+\))?\[\d+\]: (?:message repeated \d+ times: \[ )?"
AUTH_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "sshd_auth_result",
        _SSHD + r"(?P<auth_outcome>Accepted|Failed) (?P<auth_method>\S+) for "
        r"(?:invalid user |illegal user )?(?P<user>\S+) from (?P<src_ip>\S+)"
        r"(?: port (?P<src_port>\d+))?",
    ),
    (
        "sshd_invalid_user",
        _SSHD + r"(?P<auth_outcome>Invalid|Illegal) user (?P<user>\S*) from (?P<src_ip>\S+)"
        r"(?: port (?P<src_port>\d+))?",
    ),
    (
        "sshd_pam_failure",
        _SSHD + r"(?:error: PAM: )?(?P<auth_outcome>[Aa]uthentication failure) for "
        r"(?:illegal user |invalid user )?(?P<user>\S*) from (?P<src_ip>[^\s\]]+)",
    ),
    (
        "sshd_not_allowed",
        _SSHD + r"(?P<auth_outcome>User) (?P<user>\S+) from (?P<src_ip>\S+) not allowed",
    ),
    (
        # PAM's pam_unix module through any service: "(pam_unix) authentication failure",
        # "pam_unix(vsftpd:auth): ...", "pop(pam_unix)[4920]: ...".
        "pam_auth_failure",
        r"pam_unix\S*\s+(?P<auth_outcome>authentication failure);[^\n]*?"
        r"(?:ruser=(?P<ruser>\S*)\s+)?rhost=(?P<src_ip>[^\s\]]+)(?:\s+user=(?P<user>\S+))?",
    ),
)
AUTH_RES = tuple(re.compile(pattern) for _, pattern in AUTH_PATTERNS)
KV_PAIR_RE = re.compile(r'(?<![\w.-])([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')
# "Key: value" pairs: headers of multi-line events, MySQL slow-log comment lines
# ("# Query_time: 0.000152  Lock_time: 0.000066 Rows_sent: 1").
COLON_PAIR_REGEX = r"(?<![\w.@-])([A-Za-z][\w@-]{0,40}):[ \t]+([^\s:][^\s]*)"
COLON_PAIR_RE = re.compile(COLON_PAIR_REGEX)
LOG_LEVEL_RE = re.compile(r"\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL)\b")


def kv_pairs(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, raw in KV_PAIR_RE.findall(text):
        value = raw[1:-1] if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"') else raw
        pairs.append((key, value))
    return pairs


def colon_pairs(text: str) -> list[tuple[str, str]]:
    """``Key: value`` pairs, keys cleaned as Splunk's CLEAN_KEYS does."""
    return [(clean_key(key), value) for key, value in COLON_PAIR_RE.findall(text)]


def parse_json_object(event: str) -> dict[str, object] | None:
    text = event.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_xml_element(event: str) -> ET.Element | None:
    text = event.strip()
    if not text.startswith("<") or text.startswith("<?") or text.startswith("<!"):
        return None
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        return None


def classify_event(event: str) -> LogFormat:
    """The format of one event (CSV is decided per file, not per event)."""
    first_line = event.split("\n", 1)[0]
    if parse_json_object(event) is not None:
        return LogFormat.JSON
    if first_line.startswith("<") and parse_xml_element(event) is not None:
        return LogFormat.XML
    if CISCO_ASA_RE.search(first_line[:300]):
        return LogFormat.CISCO_ASA
    if APACHE_ACCESS_RE.match(first_line):
        return LogFormat.APACHE_ACCESS
    if APACHE_ERROR_RE.match(first_line):
        return LogFormat.APACHE_ERROR
    if SYSLOG_RFC5424_RE.match(first_line) or SYSLOG_RFC3164_RE.match(first_line):
        return LogFormat.SYSLOG
    if len(kv_pairs(first_line)) >= 3:
        return LogFormat.KV
    return LogFormat.TEXT


def flatten_json(value: object, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field, value) pairs named as Splunk's JSON extraction names them."""
    if isinstance(value, dict):
        for key, child in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from flatten_json(child, name)
    elif isinstance(value, list):
        for child in value:
            yield from flatten_json(child, f"{prefix}{{}}")
    elif value is None:
        return
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif isinstance(value, float | int):
        yield prefix, json.dumps(value)
    else:
        yield prefix, str(value)


def flatten_xml(element: ET.Element, prefix: str = "") -> Iterator[tuple[str, str]]:
    name = f"{prefix}.{element.tag}" if prefix else element.tag
    for attr, value in element.attrib.items():
        yield f"{name}{{@{attr}}}", value
    children = list(element)
    text = (element.text or "").strip()
    if text and not children:
        yield name, text
    for child in children:
        yield from flatten_xml(child, name)


@dataclass
class FieldStats:
    """How often each field occurs and a bounded tally of its values."""

    events: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    values: dict[str, Counter[str]] = field(default_factory=dict)
    max_distinct: int = 200

    def add_event(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.events += 1
        seen: set[str] = set()
        for name, value in pairs:
            if not value or name in seen:
                continue
            seen.add(name)
            self.counts[name] += 1
            tally = self.values.setdefault(name, Counter())
            if value in tally or len(tally) < self.max_distinct:
                tally[value] += 1

    def merge(self, other: FieldStats) -> None:
        self.events += other.events
        self.counts.update(other.counts)
        for name, tally in other.values.items():
            mine = self.values.setdefault(name, Counter())
            for value, count in tally.items():
                if value in mine or len(mine) < self.max_distinct:
                    mine[value] += count

    def coverage(self, name: str) -> float:
        return self.counts[name] / self.events if self.events else 0.0

    def common_fields(self, minimum: float = 0.0) -> list[str]:
        return sorted(name for name in self.counts if self.coverage(name) >= minimum)


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    columns: tuple[str, ...]  # cleaned field names
    header_line: str


_HEADER_CELL = re.compile(r"^[A-Za-z_@][\w .@/-]*$")


def clean_key(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name.strip())
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"_{cleaned}"
    return cleaned


def _split_csv(line: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


def detect_csv_header(lines: Sequence[str]) -> CsvLayout | None:
    """A header row followed by rows with the same number of delimited cells."""
    if len(lines) < 3:
        return None
    header = lines[0]
    for delimiter in (",", "\t", ";", "|"):
        cells = _split_csv(header, delimiter)
        if len(cells) < 3:
            continue
        if not all(_HEADER_CELL.match(cell.strip()) for cell in cells):
            continue
        names = [clean_key(cell) for cell in cells]
        if len(set(names)) != len(names):
            continue
        rows = lines[1:500]
        same = sum(1 for row in rows if len(_split_csv(row, delimiter)) == len(cells))
        if same / len(rows) < 0.95:
            continue
        identifier_rows = sum(
            1
            for row in rows[:50]
            if all(_HEADER_CELL.match(c.strip()) for c in _split_csv(row, delimiter))
        )
        if identifier_rows > len(rows[:50]) / 2:
            continue
        return CsvLayout(delimiter, tuple(names), header)
    return None


def csv_pairs(layout: CsvLayout, line: str) -> list[tuple[str, str]]:
    cells = _split_csv(line, layout.delimiter)
    return [(name, cell) for name, cell in zip(layout.columns, cells, strict=False) if cell]


def event_fields(fmt: LogFormat, event: str) -> list[tuple[str, str]]:
    """The automatically extractable fields of an event of a self-describing format."""
    if fmt is LogFormat.JSON:
        parsed = parse_json_object(event)
        return list(flatten_json(parsed)) if parsed is not None else []
    if fmt is LogFormat.XML:
        element = parse_xml_element(event)
        return list(flatten_xml(element)) if element is not None else []
    return kv_pairs(event)


def format_shares(formats: Sequence[LogFormat]) -> list[tuple[LogFormat, float]]:
    counter = Counter(formats)
    total = max(1, len(formats))
    return sorted(
        ((fmt, count / total) for fmt, count in counter.items()),
        key=lambda item: (-item[1], item[0].value),
    )
