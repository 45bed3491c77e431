"""Splunk Common Information Model (CIM) data models used by the TA engine.

Written once, used by the generator (to pick a data model, map fields and emit eventtypes
and tags) and by the checker (to measure required-field coverage and find values that break
the model's rules).

Each data model is a table of fields (rule, required or recommended, the vendor field
names that commonly carry it): Web, Network_Traffic, Authentication, Change,
Intrusion_Detection, Network_Resolution (DNS), Malware, Email and Endpoint. "Required" here
is the engine's acceptance bar - the fields a TA must populate for the model's searches and
dashboards to be useful - chosen from the CIM's recommended fields; "recommended" fields
are reported but not enforced.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache


class ValueKind(StrEnum):
    TEXT = "text"
    ENUM = "enum"
    INTEGER = "integer"
    PORT = "port"
    ADDRESS = "address"
    URL = "url"


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


@dataclass(frozen=True)
class CimField:
    """One field of a data model and the rule its values must follow."""

    name: str
    kind: ValueKind = ValueKind.TEXT
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    # Vendor field names that commonly carry this field, most specific first.
    source_names: tuple[str, ...] = ()
    # Vendor values (lower case) that normalise to each allowed value.
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""

    def is_valid(self, value: str) -> bool:
        """Whether ``value`` satisfies this field's rule."""
        if value == "":
            return False
        match self.kind:
            case ValueKind.ENUM:
                return value in self.allowed
            case ValueKind.INTEGER | ValueKind.PORT:
                if not re.fullmatch(r"\d{1,19}", value):
                    return False
                number = int(value)
                low = self.minimum if self.minimum is not None else 0
                high = self.maximum if self.maximum is not None else 2**63
                return low <= number <= high
            case ValueKind.ADDRESS:
                return _is_address(value)
            case ValueKind.URL:
                return not any(ch.isspace() for ch in value)
            case _:
                return True

    def rule(self) -> str:
        match self.kind:
            case ValueKind.ENUM:
                return "one of " + ", ".join(self.allowed)
            case ValueKind.INTEGER | ValueKind.PORT:
                return f"an integer between {self.minimum or 0} and {self.maximum}"
            case ValueKind.ADDRESS:
                return "an IP address or host name"
            case ValueKind.URL:
                return "a URL or path without whitespace"
            case _:
                return "non-empty text"

    def normalise(self, vendor_value: str) -> str | None:
        """Map a vendor value to an allowed value using the synonyms, if one fits."""
        lowered = vendor_value.strip().lower()
        if self.kind is not ValueKind.ENUM:
            return vendor_value
        for allowed in self.allowed:
            if lowered == allowed.lower():
                return allowed
        for allowed, words in self.synonyms.items():
            if lowered in words:
                return allowed
        return None


@lru_cache(maxsize=65536)
def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_HOSTNAME.match(value))
    return True


@dataclass(frozen=True)
class DataModel:
    name: str
    tags: tuple[str, ...]
    fields: tuple[CimField, ...]
    # Fields whose presence identifies events of this model in generic (JSON/KV/CSV) data.
    distinctive: tuple[str, ...]
    # Required fields the generator may set to a constant (e.g. the application name).
    constant_fields: tuple[str, ...] = ()
    # Required fields that name the system writing the log when no field does (the server a
    # user logged on to is the host of its own log): the generator sets them to ``host``.
    host_fields: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[CimField, ...]:
        return tuple(f for f in self.fields if f.required)

    @property
    def recommended(self) -> tuple[CimField, ...]:
        return tuple(f for f in self.fields if not f.required)

    def field(self, name: str) -> CimField | None:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None


_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")

WEB = DataModel(
    name="Web",
    tags=("web",),
    distinctive=("http_method", "status"),
    fields=(
        CimField(
            "src",
            ValueKind.ADDRESS,
            required=True,
            source_names=(
                "src",
                "src_ip",
                "clientip",
                "client_ip",
                "remote_addr",
                "c_ip",
                "remote_ip",
                "client",
                "source_ip",
                "ip",
                "clienthost",
                "clientaddr",
            ),
            description="client address",
        ),
        CimField(
            "http_method",
            ValueKind.ENUM,
            required=True,
            allowed=_HTTP_METHODS,
            source_names=(
                "http_method",
                "method",
                "request_method",
                "requestmethod",
                "cs_method",
                "verb",
            ),
            synonyms={m: (m.lower(),) for m in _HTTP_METHODS},
        ),
        CimField(
            "status",
            ValueKind.INTEGER,
            required=True,
            minimum=100,
            maximum=599,
            source_names=(
                "status",
                "status_code",
                "http_status",
                "sc_status",
                "response_code",
                "response_status",
                "downstreamstatus",
                "originstatus",
            ),
        ),
        CimField(
            "url",
            ValueKind.URL,
            required=True,
            source_names=(
                "url",
                "uri",
                "request_uri",
                "request_url",
                "cs_uri",
                "requestpath",
                "uri_path",
                "path",
            ),
        ),
        CimField(
            "uri_path",
            ValueKind.URL,
            required=True,
            source_names=("uri_path", "path", "cs_uri_stem", "request_path", "requestpath"),
        ),
        CimField(
            "bytes",
            ValueKind.INTEGER,
            required=True,
            minimum=0,
            maximum=2**53,
            source_names=(
                "bytes",
                "bytes_out",
                "body_bytes_sent",
                "response_size",
                "sc_bytes",
                "size",
                "response_bytes",
                "downstreamcontentsize",
            ),
        ),
        CimField(
            "dest",
            ValueKind.ADDRESS,
            source_names=(
                "dest",
                "server",
                "server_name",
                "host_name",
                "vhost",
                "s_ip",
                "requesthost",
            ),
        ),
        CimField(
            "http_user_agent",
            source_names=(
                "http_user_agent",
                "useragent",
                "user_agent",
                "cs_user_agent",
                "agent",
                "request_user-agent",
            ),
        ),
        CimField(
            "http_referrer",
            source_names=("http_referrer", "referer", "referrer", "cs_referer", "http_referer"),
        ),
        CimField("uri_query", source_names=("uri_query", "query", "query_string", "cs_uri_query")),
        CimField("user", source_names=("user", "username", "remote_user", "cs_username")),
        CimField("http_content_type", source_names=("http_content_type", "content_type")),
    ),
)

NETWORK_TRAFFIC = DataModel(
    name="Network_Traffic",
    tags=("network", "communicate"),
    distinctive=("src", "dest", "dest_port"),
    fields=(
        CimField(
            "action",
            ValueKind.ENUM,
            required=True,
            allowed=("allowed", "blocked", "teardown"),
            source_names=("action", "act", "disposition", "verdict", "decision", "result"),
            synonyms={
                "allowed": (
                    "allow",
                    "accept",
                    "accepted",
                    "permit",
                    "permitted",
                    "pass",
                    "passed",
                    "built",
                    "ok",
                    "forward",
                    "forwarded",
                    "success",
                ),
                "blocked": (
                    "block",
                    "deny",
                    "denied",
                    "drop",
                    "dropped",
                    "reject",
                    "rejected",
                    "discard",
                    "discarded",
                    "reset",
                    "fail",
                    "failure",
                ),
                "teardown": ("close", "closed", "end", "ended", "timeout", "tear-down"),
            },
        ),
        CimField(
            "src",
            ValueKind.ADDRESS,
            required=True,
            source_names=(
                "src",
                "src_ip",
                "srcip",
                "source_ip",
                "sourceip",
                "source_address",
                "saddr",
                "client_ip",
            ),
        ),
        CimField(
            "dest",
            ValueKind.ADDRESS,
            required=True,
            source_names=(
                "dest",
                "dst",
                "dest_ip",
                "dst_ip",
                "dstip",
                "destination_ip",
                "destinationip",
                "destination_address",
                "daddr",
                "server_ip",
            ),
        ),
        CimField(
            "dest_port",
            ValueKind.PORT,
            required=True,
            minimum=0,
            maximum=65535,
            source_names=(
                "dest_port",
                "dst_port",
                "dport",
                "dpt",
                "dstport",
                "destination_port",
                "destinationport",
            ),
        ),
        CimField(
            "transport",
            ValueKind.ENUM,
            required=True,
            allowed=("tcp", "udp", "icmp", "sctp", "gre", "esp", "ah", "ipv6-icmp"),
            source_names=("transport", "proto", "protocol", "ip_protocol", "ipproto"),
            synonyms={
                "tcp": ("6",),
                "udp": ("17",),
                "icmp": ("1",),
                "gre": ("47",),
                "esp": ("50",),
                "ah": ("51",),
                "sctp": ("132",),
                "ipv6-icmp": ("58",),
            },
        ),
        CimField(
            "src_port",
            ValueKind.PORT,
            minimum=0,
            maximum=65535,
            source_names=("src_port", "sport", "spt", "srcport", "source_port", "sourceport"),
        ),
        CimField(
            "bytes",
            ValueKind.INTEGER,
            minimum=0,
            maximum=2**53,
            source_names=("bytes", "bytes_total", "total_bytes"),
        ),
        CimField(
            "bytes_in",
            ValueKind.INTEGER,
            minimum=0,
            maximum=2**53,
            source_names=("bytes_in", "rcvdbyte", "bytes_received", "rx_bytes"),
        ),
        CimField(
            "bytes_out",
            ValueKind.INTEGER,
            minimum=0,
            maximum=2**53,
            source_names=("bytes_out", "sentbyte", "bytes_sent", "tx_bytes"),
        ),
        CimField(
            "dvc",
            ValueKind.ADDRESS,
            source_names=("dvc", "devname", "device", "device_name", "firewall"),
        ),
        CimField("rule", source_names=("rule", "rule_name", "policy", "policyid", "acl")),
        CimField("direction", source_names=("direction",)),
    ),
)

AUTHENTICATION = DataModel(
    name="Authentication",
    tags=("authentication",),
    distinctive=("user", "action"),
    constant_fields=("app",),
    host_fields=("dest",),
    fields=(
        CimField(
            "action",
            ValueKind.ENUM,
            required=True,
            allowed=("success", "failure", "pending", "error"),
            source_names=(
                "action",
                "result",
                "outcome",
                "status",
                "auth_result",
                "login_result",
                "event_outcome",
            ),
            synonyms={
                "success": (
                    "succeeded",
                    "successful",
                    "ok",
                    "accepted",
                    "allowed",
                    "allow",
                    "pass",
                    "passed",
                    "permit",
                    "permitted",
                    "granted",
                    "true",
                    "login",
                    "logon",
                ),
                "failure": (
                    "fail",
                    "failed",
                    "denied",
                    "deny",
                    "rejected",
                    "reject",
                    "blocked",
                    "invalid",
                    "false",
                    "locked",
                    "bad_password",
                ),
                "pending": ("challenge", "mfa_pending", "mfa_required", "in_progress"),
                "error": ("err", "exception", "timeout"),
            },
        ),
        CimField(
            "user",
            required=True,
            source_names=(
                "user",
                "username",
                "user_name",
                "login",
                "account",
                "userid",
                "user_id",
                "principal",
                "subject",
            ),
        ),
        CimField(
            "src",
            ValueKind.ADDRESS,
            required=True,
            source_names=(
                "src",
                "src_ip",
                "client_ip",
                "source_ip",
                "remote_addr",
                "ip",
                "ip_address",
                "clientip",
                "rhost",
            ),
        ),
        CimField(
            "dest",
            ValueKind.ADDRESS,
            required=True,
            source_names=(
                "dest",
                "dest_host",
                "server",
                "hostname",
                "host_name",
                "target",
                "dest_ip",
                "service_host",
            ),
        ),
        CimField(
            "app",
            required=True,
            source_names=("app", "application", "service", "app_name", "client_app"),
        ),
        CimField(
            "authentication_method",
            source_names=("authentication_method", "auth_method", "method", "mechanism"),
        ),
        CimField(
            "src_port",
            ValueKind.PORT,
            minimum=0,
            maximum=65535,
            source_names=("src_port", "port", "sport"),
        ),
        CimField("reason", source_names=("reason", "failure_reason", "message")),
    ),
)


def _text(name: str, *sources: str, required: bool = False) -> CimField:
    return CimField(name, required=required, source_names=(name, *sources))


def _address(name: str, *sources: str, required: bool = False) -> CimField:
    return CimField(name, ValueKind.ADDRESS, required=required, source_names=(name, *sources))


CHANGE = DataModel(
    name="Change",
    tags=("change",),
    distinctive=("object", "action"),
    fields=(
        CimField(
            "action",
            ValueKind.ENUM,
            required=True,
            allowed=(
                "acl_modified",
                "cleared",
                "created",
                "deleted",
                "modified",
                "read",
                "stopped",
            ),
            source_names=("action", "operation", "change_type", "event_type"),
            synonyms={
                "created": ("create", "add", "added", "insert", "new"),
                "deleted": ("delete", "remove", "removed", "drop"),
                "modified": ("modify", "update", "updated", "change", "changed", "edit", "set"),
                "read": ("get", "view", "access", "accessed"),
            },
        ),
        _text("object", "object_name", "resource", "target", "entity", required=True),
        _text("user", "username", "actor", "changed_by", "principal", required=True),
        _address("dest", "host", "hostname", "server", required=True),
        _text("object_category", "object_type", "resource_type", "entity_type"),
        _text("status", "result", "outcome"),
    ),
)

INTRUSION_DETECTION = DataModel(
    name="Intrusion_Detection",
    tags=("ids", "attack"),
    distinctive=("signature", "src", "dest"),
    fields=(
        _text("signature", "alert", "rule_name", "msg", "attack_name", required=True),
        _address("src", "src_ip", "srcip", "source_ip", required=True),
        _address("dest", "dest_ip", "dst", "dstip", "destination_ip", required=True),
        _text("severity", "priority", "level"),
        _text("category", "classification", "class"),
        _text("action", "disposition"),
        _text("ids_type"),
    ),
)

NETWORK_RESOLUTION = DataModel(
    name="Network_Resolution",
    tags=("network", "resolution", "dns"),
    distinctive=("query", "src"),
    fields=(
        _text("query", "qname", "question", "domain", "query_name", required=True),
        _address("src", "client", "client_ip", "src_ip", required=True),
        _address("dest", "server", "server_ip", "dest_ip", "resolver"),
        _text("query_type", "qtype", "record_type", "type", required=True),
        _text("reply_code", "rcode", "response_code", "status"),
        _text("answer", "answers", "response"),
    ),
)

MALWARE = DataModel(
    name="Malware",
    tags=("malware", "attack"),
    distinctive=("signature", "file_name"),
    fields=(
        _text("signature", "virus", "malware", "threat", "threat_name", required=True),
        _address("dest", "host", "hostname", "computer", "device", required=True),
        _text("action", "disposition", "result", required=True),
        _text("file_name", "file", "filename", "file_path", "path"),
        _text("user", "username"),
    ),
)

EMAIL = DataModel(
    name="Email",
    tags=("email",),
    distinctive=("sender", "recipient"),
    fields=(
        _text("sender", "from", "mail_from", "envelope_from", required=True),
        _text("recipient", "to", "rcpt", "rcpt_to", "envelope_to", required=True),
        _address("src", "client", "client_ip", "relay", "src_ip", required=True),
        CimField(
            "action",
            ValueKind.ENUM,
            required=True,
            allowed=("delivered", "blocked", "quarantined", "deleted", "deferred"),
            source_names=("action", "disposition", "status", "result"),
            synonyms={
                "delivered": ("sent", "deliver", "accepted", "relayed", "ok"),
                "blocked": ("reject", "rejected", "milter-reject", "bounced", "denied", "block"),
                "quarantined": ("quarantine", "held", "hold"),
                "deleted": ("delete", "discarded", "discard", "dropped"),
                "deferred": ("defer", "deferral", "greylisted", "tempfail"),
            },
        ),
        _address("dest", "server", "dest_host"),
        _text("message_id", "msgid", "queue_id", "internal_message_id"),
        _text("subject"),
        _text("protocol", "proto"),
    ),
)

ENDPOINT = DataModel(
    name="Endpoint",
    tags=("process", "report"),
    # process and pid alone are in every syslog header: a parent process id marks real
    # process-activity records.
    distinctive=("process", "parent_process_id"),
    fields=(
        _text("process", "command_line", "cmdline", "command", "cmd", required=True),
        _text("process_id", "pid", required=True),
        _address("dest", "host", "hostname", "computer", required=True),
        _text("user", "username", "uid", "user_name", required=True),
        _text("process_name", "image", "exe", "comm"),
        _text("parent_process_id", "ppid"),
    ),
)

DATA_MODELS: dict[str, DataModel] = {
    m.name: m
    for m in (
        WEB,
        NETWORK_TRAFFIC,
        AUTHENTICATION,
        CHANGE,
        INTRUSION_DETECTION,
        NETWORK_RESOLUTION,
        MALWARE,
        EMAIL,
        ENDPOINT,
    )
}


def model_by_name(name: str) -> DataModel:
    try:
        return DATA_MODELS[name]
    except KeyError as exc:
        raise KeyError(f"unknown CIM data model {name!r}") from exc


def models_for_tags(tags: Iterable[str]) -> list[DataModel]:
    """Data models whose full tag set is present in ``tags``."""
    present = set(tags)
    return [m for m in DATA_MODELS.values() if set(m.tags) <= present]


def incomplete_models(tags: Iterable[str]) -> list[tuple[DataModel, tuple[str, ...]]]:
    """Data models some but not all of whose tags are present, with the missing tags.

    Tags shared by several models only count when the model is otherwise complete: the
    ``network`` tag alone points at Network_Traffic, whose other tag is missing.
    """
    present = set(tags)
    out: list[tuple[DataModel, tuple[str, ...]]] = []
    for model in DATA_MODELS.values():
        have = present & set(model.tags)
        missing = tuple(t for t in model.tags if t not in present)
        if have and missing:
            out.append((model, missing))
    return out


ALL_CIM_TAGS: frozenset[str] = frozenset(t for m in DATA_MODELS.values() for t in m.tags)
