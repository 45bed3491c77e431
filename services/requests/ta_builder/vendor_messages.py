"""Messages of well-known products, as data: which events they are and the fields they carry.

Each entry names the product's messages by regular expressions (valid in Python and in
Splunk's PCRE) whose named groups are CIM field names where the value is the CIM field
(``src``, ``query``, ``sender``...), so the CIM mapping picks them without per-product code.
The generator adds an entry's expressions to a source type when they match a fair share of
its events (syslog message bodies or whole free-text lines), and names the source type after
the product when the entry has a well-known source type name. An entry may also name CIM
values its messages imply without writing them (every scanlogd report is a port scan): the
generator sets them by a calculated field on exactly the events the entry's messages match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MIN_MATCH_SHARE = 0.2


@dataclass(frozen=True)
class VendorMessages:
    key: str
    sourcetype: str | None  # Splunk's well-known name, when the events are all this product's
    patterns: tuple[tuple[str, str], ...]  # (transform suffix, regex)
    # (CIM field, value) every matching message means though it does not write it
    constants: tuple[tuple[str, str], ...] = ()

    def compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(regex) for _, regex in self.patterns]


_HOST = r"[^\s\[\]]+"
_IP = r"[\da-fA-F.:]+"

VENDOR_MESSAGES: tuple[VendorMessages, ...] = (
    VendorMessages(
        "squid_access",
        "squid:access",
        (
            (
                "squid_access",
                r"^\d{9,10}\.\d{3}\s+(?P<duration>\d+) (?P<src>\S+) "
                r"(?P<cache_result>[A-Z_]+)/(?P<status>\d{3}) (?P<bytes>\d+) "
                r"(?P<http_method>[A-Z]+) (?P<url>\S+) (?P<rfc931>\S+) "
                r"(?P<hierarchy>[A-Z_]+)/(?P<peer>\S+) (?P<http_content_type>\S+)",
            ),
        ),
    ),
    VendorMessages(
        "haproxy_http",
        None,
        (
            (
                "haproxy_http",
                rf"haproxy\[\d+\]: (?P<src>{_IP}):(?P<src_port>\d+) \[[^\]]+\] "
                r"(?P<frontend>\S+) (?P<backend>[^/\s]+)/(?P<server>\S+) (?P<timers>\S+) "
                r"(?P<status>\d{3}) (?P<bytes>\d+) \S+ \S+ (?P<termination_state>\S+) "
                r'\S+ \S+ (?:\{[^}]*\} )*"(?P<http_method>[A-Z]+) (?P<url>[^\s"]+)',
            ),
        ),
    ),
    VendorMessages(
        "bind_query",
        None,
        (
            (
                "bind_query",
                # BIND names the client "address#port", through syslog or its own channels,
                # and the question as 'name/type/class'.
                rf"\bclient (?:@\S+ )?(?P<src>{_IP})#(?P<src_port>\d+)"
                r"(?: \([^)]*\))?: (?:view \S+: )?"
                r"(?:query(?: \(cache\))? |zone transfer )?"
                r"'(?P<query>[^/']+)/(?P<query_type>[^/']+)/(?P<query_class>\w+)'"
                r"(?: (?P<reply_code>denied))?",
            ),
            (
                "bind_xfer_refused",
                # A zone transfer BIND refuses before answering names the zone and its class
                # ('zone/class'), not a question: the zone is not a query name, so these
                # events carry no query and are no DNS resolution events.
                rf"\bclient (?:@\S+ )?(?P<src>{_IP})#(?P<src_port>\d+)"
                r"(?: \([^)]*\))?: (?:view \S+: )?"
                r"bad zone transfer request: '(?P<zone>[^/']+)/(?P<zone_class>\w+)': "
                r"(?P<reason>[^\n]+)",
            ),
        ),
    ),
    VendorMessages(
        "mssql_logon",
        "mssql:errorlog",
        (
            (
                "mssql_logon",
                # SQL Server's error log: "Login failed for user 'name'. Reason: ... [CLIENT: ip]"
                r"\bLogon\s+Login (?P<action>failed|succeeded) for user '(?P<user>[^\n]*?)'\."
                r"(?: Reason: (?P<reason>[^\[\n]*?))?\s*(?:\[CLIENT: (?P<src>[^\]\s]+)\])?$",
            ),
        ),
    ),
    VendorMessages(
        "scanlogd_scan",
        None,
        (
            (
                "scanlogd_scan",
                # scanlogd reports one port scan per line: "src to dest ports p1, p2, ...".
                rf"scanlogd(?:\[\d+\])?: (?P<src>{_IP}) to (?P<dest>{_IP}) "
                r"ports (?P<dest_ports>[\d, .]+)",
            ),
        ),
        # Port scans are all scanlogd detects; it reports them and blocks nothing.
        constants=(("signature", "port scan"),),
    ),
    VendorMessages(
        "postfix_reject",
        None,
        (
            (
                "postfix_reject",
                rf"postfix[\w/-]*\[\d+\]: \w+: (?P<action>reject|milter-reject): \w+ from "
                rf"(?P<src_host>{_HOST})\[(?P<src>{_IP})\](?::\d+)?: (?P<reply_code>\d{{3}})"
                r"[^;]*; from=<(?P<sender>[^>]*)> to=<(?P<recipient>[^>]*)>",
            ),
        ),
    ),
)


def matching_vendors(events: Sequence[str]) -> list[str]:
    """Keys of the entries whose messages are a fair share of ``events``."""
    if not events:
        return []
    found: list[str] = []
    for vendor in VENDOR_MESSAGES:
        patterns = vendor.compiled()
        hits = sum(1 for event in events if any(p.search(event) for p in patterns))
        if hits / len(events) >= MIN_MATCH_SHARE:
            found.append(vendor.key)
    return found


def vendor(key: str) -> VendorMessages:
    return next(entry for entry in VENDOR_MESSAGES if entry.key == key)
