"""Search-time field extraction for each format: KV_MODE, EXTRACT-, REPORT- and transforms.

Every regular expression here is written in the common subset of Python's ``re`` and PCRE
(named groups as ``(?P<name>...)``, which Splunk accepts), so the generator can measure what
each extraction yields on the analysed events before writing it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .analysis import SampleAnalysis
from .formats import (
    AUTH_PATTERNS,
    COLON_PAIR_REGEX,
    FieldStats,
    LogFormat,
    colon_pairs,
    kv_pairs,
)
from .regex_text import regex_literal
from .vendor_messages import vendor


@dataclass(frozen=True)
class TransformSpec:
    name: str
    settings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RegexExtraction:
    """A REPORT- class applying transforms in order, or an EXTRACT- inline regex."""

    setting: str  # e.g. REPORT-access or EXTRACT-log_level
    regexes: tuple[str, ...]


@dataclass(frozen=True)
class ConstantField:
    """A value a product's messages mean without writing it, set on the events they match."""

    field: str
    value: str
    regexes: tuple[str, ...]  # the messages meaning it (any one matching)


@dataclass
class ExtractionPlan:
    kv_mode: str
    index_time: list[tuple[str, str]] = field(default_factory=list)  # TRANSFORMS-
    search_time: list[tuple[str, str]] = field(default_factory=list)  # EXTRACT-/REPORT-
    transforms: list[TransformSpec] = field(default_factory=list)
    regex_extractions: list[RegexExtraction] = field(default_factory=list)
    colon_pairs: bool = False  # a $1::$2 transform extracts "Key: value" pairs
    constants: list[ConstantField] = field(default_factory=list)  # set by calculated fields
    fields: FieldStats = field(default_factory=FieldStats)


APACHE_ACCESS_FIELDS = (
    r"^(?P<clientip>\S+) (?P<ident>\S+) (?P<user>\S+) \[[^\]]+\] "
    r'"(?:(?P<method>[A-Za-z]+) (?P<uri>(?P<uri_path>[^\s?"]*)(?:\?(?P<uri_query>[^\s"]*))?)'
    r'(?: (?P<http_version>[^\s"]+))?|(?P<request>[^"]*))" (?P<status>\d{3}) '
    r'(?:(?P<bytes>\d+)|-)(?: "(?P<referer>[^"]*)" "(?P<useragent>[^"]*)")?'
)
APACHE_ERROR_FIELDS = (
    r"^\[[^\]]+\] \[(?:(?P<module>[\w-]+):)?(?P<log_level>\w+)\]"
    r"(?: \[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?"
    r"(?: \[client (?P<client_ip>[^\]\s]+?)(?::(?P<client_port>\d+))?\])?"
    r"(?: (?P<error_code>AH\d+):)? ?(?P<message>.*)"
)
SYSLOG_RFC3164_FIELDS = (
    r"^(?:<(?P<pri>\d{1,3})>)?(?:[A-Z][a-z]{2} [ \d]?\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+) "
    r"(?P<syslog_host>[\w.:-]+) (?P<process>[\w./@-]+(?:\([\w.:/@-]+\))?)(?:\[(?P<pid>\d+)\])?:? "
    r"(?P<message>.*)"
)
SYSLOG_RFC5424_FIELDS = (
    r"^<(?P<pri>\d{1,3})>\d{1,2} \S+ (?P<syslog_host>\S+) (?P<app_name>\S+) (?P<procid>\S+) "
    r"(?P<msgid>\S+) (?P<structured_data>-|\[.*?\])(?: (?P<message>.*))?"
)
ASA_HEADER = (
    r"(?:(?P<dvc>[A-Za-z][\w.-]*)\s*:?\s*)?%ASA-(?P<severity>\d)-(?P<message_id>\d{6}):\s*"
    r"(?P<message>.*)"
)
_ASA_ENDPOINT = r"(?P<{side}_interface>[^:\s]+):(?P<{side}_ip>[^/\s]+)/(?P<{side}_port>\d+)"
ASA_BUILT = (
    r"%ASA-\d-30201[35]: Built (?P<direction>inbound|outbound) (?P<protocol>TCP|UDP) connection "
    r"(?P<session_id>\d+) for "
    + _ASA_ENDPOINT.format(side="for")
    # the mapped address, then an optional identity tag: "(10.0.0.1/443)(LOCAL\\alice)"
    + r"(?: \([^)]*\))?(?:\((?P<identity>[^)]*)\))? to "
    + _ASA_ENDPOINT.format(side="to")
)
ASA_TEARDOWN = (
    r"%ASA-\d-30201[46]: Teardown (?P<protocol>TCP|UDP) connection (?P<session_id>\d+) for "
    + _ASA_ENDPOINT.format(side="for")
    + " to "
    + _ASA_ENDPOINT.format(side="to")
    + r" duration (?P<duration>\S+) bytes (?P<bytes>\d+)"
)
ASA_DENY_ACL = (
    r"%ASA-\d-106023: Deny (?P<protocol>\w+) src "
    + _ASA_ENDPOINT.format(side="src")
    + " dst "
    + _ASA_ENDPOINT.format(side="dest")
    + r' by access-group "(?P<acl>[^"]+)"'
)
ASA_ACL_HIT = (
    r"%ASA-\d-106100: access-list (?P<acl>\S+) (?P<acl_action>permitted|denied|est-allowed) "
    r"(?P<protocol>\w+) (?P<src_interface>[^/\s]+)/(?P<src_ip>[^(\s]+)\((?P<src_port>\d+)\) -> "
    r"(?P<dest_interface>[^/\s]+)/(?P<dest_ip>[^(\s]+)\((?P<dest_port>\d+)\)"
)
ASA_DENY_NO_CONNECTION = (
    r"%ASA-\d-106015: Deny (?P<protocol>TCP) \(no connection\) from (?P<src_ip>[^/\s]+)/"
    r"(?P<src_port>\d+) to (?P<dest_ip>[^/\s]+)/(?P<dest_port>\d+) flags (?P<tcp_flags>.+?) "
    r"on interface (?P<src_interface>\S+)"
)
ASA_DENY_INBOUND = (
    r"%ASA-\d-10600[67]: Deny inbound (?P<protocol>\w+) from (?P<src_ip>[^/\s]+)/"
    r"(?P<src_port>\d+) to (?P<dest_ip>[^/\s]+)/(?P<dest_port>\d+)"
    r"(?: due to (?P<reason>.+?))?(?: on interface (?P<src_interface>\S+))?$"
)
ASA_INBOUND_DENIED = (
    r"%ASA-\d-106001: Inbound (?P<protocol>\w+) connection denied from (?P<src_ip>[^/\s]+)/"
    r"(?P<src_port>\d+) to (?P<dest_ip>[^/\s]+)/(?P<dest_port>\d+) flags (?P<tcp_flags>.+?) "
    r"on interface (?P<src_interface>\S+)"
)
# Connection events: built/teardown (302013-302016) and denials (106001/6/7/15/23, 106100).
ASA_CONNECTION_MESSAGE_IDS = (
    "106001",
    "106006",
    "106007",
    "106015",
    "106023",
    "106100",
    "302013",
    "302014",
    "302015",
    "302016",
)
ASA_BLOCKED_MESSAGE_IDS = ("106001", "106006", "106007", "106015", "106023")
# The thread and logger that logging frameworks write after the level:
# "INFO  [main] com.acme.Orders - ...", "WARN [pool-1-thread-3] o.a.k.Producer: ...".
LOG_ORIGIN_EXTRACT = (
    r"^[^\n]{0,120}?\b(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL)\b"
    r"\s+\[(?P<thread>[^\]\n]{1,80})\]\s+(?P<logger>[A-Za-z_$][\w$]*(?:\.[\w$]+)+)"
)
LOG_LEVEL_EXTRACT = (
    r"^[^\n]{0,120}?\b(?P<log_level>TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL"
    r"|CRITICAL)\b"
)


def _report(
    plan: ExtractionPlan, slug: str, report_class: str, named: Sequence[tuple[str, str]]
) -> None:
    names = [f"{slug}_{suffix}" for suffix, _ in named]
    for name, (_, regex) in zip(names, named, strict=True):
        plan.transforms.append(TransformSpec(name, (("REGEX", regex),)))
    plan.search_time.append((f"REPORT-{report_class}", ", ".join(names)))
    plan.regex_extractions.append(
        RegexExtraction(f"REPORT-{report_class}", tuple(regex for _, regex in named))
    )


def _vendor_reports(plan: ExtractionPlan, slug: str, keys: Sequence[str]) -> None:
    for key in keys:
        entry = vendor(key)
        _report(plan, slug, key, entry.patterns)
        regexes = tuple(regex for _, regex in entry.patterns)
        plan.constants += [ConstantField(name, value, regexes) for name, value in entry.constants]


def _measure(plan: ExtractionPlan, events: Sequence[str]) -> None:
    """Apply the plan's extractions in Splunk's order to measure field coverage."""
    compiled = [
        (extraction, [re.compile(regex) for regex in extraction.regexes])
        for extraction in sorted(
            plan.regex_extractions,
            key=lambda e: (0 if e.setting.startswith("EXTRACT-") else 1, e.setting),
        )
    ]
    constants = [
        (constant, [re.compile(regex) for regex in constant.regexes]) for constant in plan.constants
    ]
    stats = FieldStats()
    for event in events:
        found: dict[str, str] = {}
        for _, patterns in compiled:
            for pattern in patterns:
                match = pattern.search(event)
                if match is None:
                    continue
                for name, value in match.groupdict().items():
                    if value is not None and name not in found:
                        found[name] = value
        if plan.kv_mode == "auto":
            for name, value in kv_pairs(event):
                found.setdefault(name, value)
        if plan.colon_pairs:
            for name, value in colon_pairs(event):
                found.setdefault(name, value)
        # Calculated fields come last and win on the events their messages match.
        for constant, patterns in constants:
            if any(pattern.search(event) for pattern in patterns):
                found[constant.field] = constant.value
        stats.add_event(found.items())
    plan.fields = stats


def _csv_fields_setting(columns: Sequence[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def _delims(delimiter: str) -> str:
    return '"\\t"' if delimiter == "\t" else f'"{delimiter}"'


def plan_extractions(analysis: SampleAnalysis, slug: str) -> ExtractionPlan:
    """The search-time (and CSV header index-time) extractions for one source type."""
    fmt = analysis.format
    if fmt is LogFormat.JSON:
        plan = ExtractionPlan(kv_mode="json")
        plan.fields = analysis.fields
        return plan
    if fmt is LogFormat.XML:
        plan = ExtractionPlan(kv_mode="xml")
        plan.fields = analysis.fields
        return plan
    if fmt is LogFormat.KV:
        plan = ExtractionPlan(kv_mode="auto")
        plan.fields = analysis.fields
        return plan
    if fmt is LogFormat.CSV and analysis.csv is not None:
        layout = analysis.csv
        plan = ExtractionPlan(kv_mode="none")
        header_transform = f"{slug}_drop_header"
        plan.transforms.append(
            TransformSpec(
                header_transform,
                (
                    ("REGEX", "^" + regex_literal(layout.header_line) + "$"),
                    ("DEST_KEY", "queue"),
                    ("FORMAT", "nullQueue"),
                ),
            )
        )
        plan.index_time.append(("TRANSFORMS-drop_header", header_transform))
        fields_transform = f"{slug}_csv_fields"
        plan.transforms.append(
            TransformSpec(
                fields_transform,
                (
                    ("DELIMS", _delims(layout.delimiter)),
                    ("FIELDS", _csv_fields_setting(layout.columns)),
                ),
            )
        )
        plan.search_time.append(("REPORT-csv_fields", fields_transform))
        plan.fields = analysis.fields
        return plan
    if fmt is LogFormat.APACHE_ACCESS:
        plan = ExtractionPlan(kv_mode="none")
        _report(plan, slug, "access_fields", [("fields", APACHE_ACCESS_FIELDS)])
    elif fmt is LogFormat.APACHE_ERROR:
        plan = ExtractionPlan(kv_mode="none")
        _report(plan, slug, "error_fields", [("fields", APACHE_ERROR_FIELDS)])
    elif fmt is LogFormat.CISCO_ASA:
        plan = ExtractionPlan(kv_mode="none")
        _report(plan, slug, "asa_header", [("header", ASA_HEADER)])
        _report(
            plan,
            slug,
            "asa_connections",
            [
                ("built", ASA_BUILT),
                ("teardown", ASA_TEARDOWN),
                ("deny_acl", ASA_DENY_ACL),
                ("acl_hit", ASA_ACL_HIT),
                ("deny_no_connection", ASA_DENY_NO_CONNECTION),
                ("deny_inbound", ASA_DENY_INBOUND),
                ("inbound_denied", ASA_INBOUND_DENIED),
            ],
        )
    elif fmt is LogFormat.SYSLOG:
        plan = ExtractionPlan(kv_mode="auto" if analysis.body_kv else "none")
        header = SYSLOG_RFC5424_FIELDS if analysis.syslog_rfc5424 else SYSLOG_RFC3164_FIELDS
        _report(plan, slug, "syslog_header", [("header", header)])
        if analysis.auth_events:
            _report(
                plan,
                slug,
                "sshd_auth",
                list(AUTH_PATTERNS),
            )
        _vendor_reports(plan, slug, analysis.vendors)
    else:
        plan = ExtractionPlan(kv_mode="auto" if analysis.body_kv else "none")
        _vendor_reports(plan, slug, analysis.vendors)
        if analysis.log_levels:
            for setting, regex in (
                ("EXTRACT-log_level", LOG_LEVEL_EXTRACT),
                ("EXTRACT-log_origin", LOG_ORIGIN_EXTRACT),
            ):
                plan.search_time.append((setting, regex))
                plan.regex_extractions.append(RegexExtraction(setting, (regex,)))
        if analysis.colon_kv:
            name = f"{slug}_colon_pairs"
            plan.transforms.append(
                TransformSpec(name, (("REGEX", COLON_PAIR_REGEX), ("FORMAT", "$1::$2")))
            )
            plan.search_time.append(("REPORT-colon_pairs", name))
            plan.colon_pairs = True
    _measure(plan, analysis.events)
    return plan
