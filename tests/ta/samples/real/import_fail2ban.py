"""Re-create the real-log corpora of this folder from Debian's fail2ban package.

fail2ban's test suite ships real log lines collected from users' systems
(``fail2ban/tests/files/logs/<filter>``). Before most lines its maintainers wrote, by hand,
a ``# failJSON: {"time": ...}`` comment with the time that line must be read as: that is
the independent truth the TA quality benchmark compares the generated TAs against.

Usage (network: Debian's archive only)::

    apt-get download fail2ban && dpkg-deb -x fail2ban_*.deb f2b
    python tests/ta/samples/real/import_fail2ban.py \
        f2b/usr/lib/python3/dist-packages/fail2ban/tests/files/logs

For each corpus it writes ``<name>.log`` (the log lines, comments dropped, order kept) and
``<name>.truth.json`` (the 0-based line number and expected time of every line that has one).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
PACKAGE = "fail2ban 1.0.2-2 (Debian)"
# corpus name -> (fail2ban log file, kind, whether the truth is in fail2ban's test zone).
# SOURCE_SYSTEMS: the free-text source system a requestor would type for it.
# fail2ban's tests run with TZ=CET-01CEST-02,M3.5.0,M10.5.0: a line that carries its own zone
# or an epoch has its expected time written in that zone; a line without a zone is expected
# as written (wall clock).
CORPORA: dict[str, tuple[str, str, bool]] = {
    "sshd": ("sshd", "sshd / linux secure", False),
    "pam_generic": ("pam-generic", "PAM via syslog, process(pam_unix)", False),
    "apache_error": ("apache-auth", "web server error log", False),
    "nginx_access": ("nginx-botsearch", "web server access log", True),
    "nginx_error": ("nginx-http-auth", "web server error log", False),
    "traefik_access": ("traefik-auth", "reverse proxy access log", True),
    "squid_access": ("squid", "web proxy, epoch seconds", True),
    "haproxy": ("haproxy-http-auth", "load balancer via syslog", False),
    "mysqld": ("mysqld-auth", "database error log, yymmdd H:MM:SS", False),
    "mongodb": ("mongodb-auth", "database log, ISO with offset", True),
    "named": ("named-refused", "DNS server via syslog", False),
    "postfix": ("postfix", "mail server via syslog", False),
    "exim": ("exim", "mail server main log", False),
    "kerio": ("kerio", "mail server, [dd/Mon/yyyy HH:MM:SS]", False),
    "asterisk": ("asterisk", "VoIP server", False),
    "selinux_audit": ("selinux-ssh", "Linux audit, msg=audit(epoch)", True),
    "proxy_3proxy": ("3proxy", "forward proxy access log, dd-mm-yyyy with offset", False),
    "mssql": ("mssql-auth", "database error log", False),
    "scanlogd": ("scanlogd", "port scan detector via syslog", False),
}
SOURCE_SYSTEMS: dict[str, str] = {
    "sshd": "OpenSSH",
    "pam_generic": "Linux PAM",
    "apache_error": "Apache HTTP Server",
    "nginx_access": "nginx",
    "nginx_error": "nginx",
    "traefik_access": "Traefik",
    "squid_access": "Squid proxy",
    "haproxy": "HAProxy",
    "mysqld": "MySQL",
    "mongodb": "MongoDB",
    "named": "ISC BIND",
    "postfix": "Postfix",
    "exim": "Exim",
    "kerio": "Kerio Connect",
    "asterisk": "Asterisk",
    "selinux_audit": "Linux auditd",
    "proxy_3proxy": "3proxy",
    "mssql": "Microsoft SQL Server",
    "scanlogd": "scanlogd",
}
# The CIM data model a Splunk engineer would map each corpus to (None: no CIM model fits).
CIM_MODELS: dict[str, str] = {
    "sshd": "Authentication",
    "pam_generic": "Authentication",
    "nginx_access": "Web",
    "traefik_access": "Web",
    "squid_access": "Web",
    "haproxy": "Web",
    "named": "Network_Resolution",
    "postfix": "Email",
    "mssql": "Authentication",
    "scanlogd": "Intrusion_Detection",
}
# Some fail2ban files gather several log files of one daemon (e.g. nginx access and error
# lines); a Splunk source type covers one of them, so these corpora keep the lines of one.
LINE_FILTERS: dict[str, str] = {
    "nginx_access": r"^[\d.:a-f]+ - ",
    "mysqld": r"^\d{6} [ \d]\d:",
    "named": r"^[A-Z][a-z]{2} [ \d]\d ",
}
# fail2ban's date pattern for these files stops before the UTC offset the lines carry, so
# their expected times are the wall clock as written, whatever the offset.
OFFSETS_IGNORED = {"proxy_3proxy"}
_FAIL_JSON = re.compile(r"^#\s*failJSON:\s*(\{.*\})\s*$")


def convert(source: Path, name: str, kind: str, zoned: bool) -> None:
    lines: list[str] = []
    truth: list[tuple[int, str]] = []
    pending: str | None = None
    for raw in source.read_text(encoding="utf-8", errors="replace").splitlines():
        found = _FAIL_JSON.match(raw)
        if found:
            try:
                expectation = json.loads(found.group(1))
            except ValueError:
                expectation = {}
            # fail2ban checks the time only of lines its filter matches ("match": true).
            pending = expectation.get("time") if expectation.get("match") else None
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        if name in LINE_FILTERS and not re.search(LINE_FILTERS[name], raw):
            pending = None
            continue
        if pending:
            truth.append((len(lines), pending))
        pending = None
        lines.append(raw)
    (HERE / f"{name}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    document = {
        "origin": f"{PACKAGE}: fail2ban/tests/files/logs/{source.name}",
        "licence": "GPL-2.0-or-later",
        "kind": kind,
        "source_system": SOURCE_SYSTEMS[name],
        "cim_model": CIM_MODELS.get(name),
        "line_filter": LINE_FILTERS.get(name),
        "truth_zone": (
            "wall clock as written, offset ignored"
            if name in OFFSETS_IGNORED
            else "CET-01CEST-02,M3.5.0,M10.5.0"
            if zoned
            else "wall clock"
        ),
        "expected": [[index, time] for index, time in truth],
    }
    (HERE / f"{name}.truth.json").write_text(json.dumps(document, indent=1) + "\n")


def main(logs: Path) -> None:
    for name, (file_name, kind, zoned) in CORPORA.items():
        convert(logs / file_name, name, kind, zoned)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
