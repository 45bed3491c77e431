"""Deterministic generator of realistic log samples for the TA engine tests.

Run ``python tests/ta/ta_sample_factory.py`` to (re)write ``tests/ta/samples/``; the tests
check that the committed files are exactly what this script produces. Every sample is built
from a seeded ``random.Random`` and a fixed start time, so the bytes never change.

Each sample comes with what the tests expect of it: the format the generator should detect,
the number of events, the CIM data model and how many events carry that model's required
fields ("where the data has them").
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

SAMPLES_DIR = Path(__file__).parent / "samples"
START = datetime(2024, 3, 4, 8, 0, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))


@dataclass(frozen=True)
class SampleSpec:
    filename: str
    content: bytes
    format: str  # the generator's LogFormat value
    events: int
    data_model: str | None  # CIM data model the TA should map to
    model_events: int  # events that belong to the data model (and carry its fields)
    multiline: bool
    description: str
    source_system: str


class _Clock:
    def __init__(self, rng: random.Random, start: datetime = START) -> None:
        self.rng = rng
        self.now = start

    def tick(self, low: float = 0.05, high: float = 4.0) -> datetime:
        self.now += timedelta(seconds=self.rng.uniform(low, high))
        return self.now


_INTERNAL = [f"10.1.{a}.{b}" for a in (1, 2, 3) for b in (5, 12, 23, 40, 77, 101)]
_EXTERNAL = [
    "203.0.113.5",
    "203.0.113.77",
    "198.51.100.23",
    "198.51.100.7",
    "192.0.2.44",
    "93.184.216.34",
    "151.101.1.69",
    "140.82.112.3",
    "2001:db8::1f",
]
_USERS = ["alice", "bob", "carol", "deploy", "jdoe", "mwong", "svc_backup", "admin"]
_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "curl/8.5.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15",
    "python-requests/2.31.0",
]
_PATHS = [
    "/",
    "/index.html",
    "/login",
    "/api/v1/orders",
    "/api/v1/orders/1234",
    "/static/app.js",
    "/static/style.css",
    "/images/logo.png",
    "/search",
    "/account/settings",
    "/favicon.ico",
]


def _ncsa_time(moment: datetime) -> str:
    return moment.astimezone(CET).strftime("%d/%b/%Y:%H:%M:%S %z")


def _access_line(rng: random.Random, clock: _Clock, *, combined: bool) -> str:
    moment = clock.tick()
    ip = rng.choice(_INTERNAL + _EXTERNAL)
    user = rng.choice(["-"] * 6 + _USERS[:3])
    roll = rng.random()
    if roll < 0.004:
        request, status, size = "-", 408, "-"
    elif roll < 0.006:
        request, status, size = "\\x16\\x03\\x01\\x02", 400, "226"
    else:
        method = rng.choices(["GET", "POST", "PUT", "DELETE", "HEAD"], [70, 18, 5, 3, 4])[0]
        path = rng.choice(_PATHS)
        if path == "/search" or rng.random() < 0.1:
            path += f"?q={rng.choice(['shoes', 'tv', 'laptop'])}&page={rng.randint(1, 9)}"
        request = f"{method} {path} HTTP/1.1"
        status = rng.choices(
            [200, 201, 204, 301, 304, 400, 401, 403, 404, 500, 503],
            [60, 4, 2, 3, 10, 2, 3, 2, 8, 2, 1],
        )[0]
        size = "-" if status in (204, 304) else str(rng.randint(120, 90000))
    line = f'{ip} - {user} [{_ncsa_time(moment)}] "{request}" {status} {size}'
    if combined:
        referer = rng.choice(["-", "https://www.example.com/", "https://www.example.com/search"])
        line += f' "{referer}" "{rng.choice(_AGENTS)}"'
    return line


def apache_access(combined: bool, count: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines = [_access_line(rng, clock, combined=combined) for _ in range(count)]
    return lines, count


def apache_error(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng, START)
    lines: list[str] = []
    for _ in range(count):
        moment = clock.tick(0.5, 30)
        stamp = moment.strftime("%a %b %d %H:%M:%S.%f %Y")
        pid, tid = rng.randint(1000, 30000), rng.randint(139000000000000, 139999999999999)
        client = f"{rng.choice(_EXTERNAL[:5])}:{rng.randint(1024, 65535)}"
        kind = rng.random()
        if kind < 0.45:
            lines.append(
                f"[{stamp}] [core:error] [pid {pid}:tid {tid}] [client {client}] AH00126: "
                f"Invalid URI in request GET /..%2f..%2fetc/passwd HTTP/1.1"
            )
        elif kind < 0.75:
            lines.append(
                f"[{stamp}] [authz_core:error] [pid {pid}:tid {tid}] [client {client}] "
                f"AH01630: client denied by server configuration: /var/www/html/.git/config"
            )
        elif kind < 0.9:
            lines.append(
                f"[{stamp}] [php:warn] [pid {pid}:tid {tid}] [client {client}] PHP Warning:  "
                f"Undefined variable $user in /var/www/html/index.php on line {rng.randint(1, 400)}"
            )
        else:
            lines.append(
                f"[{stamp}] [mpm_event:notice] [pid {pid}:tid {tid}] AH00489: Apache/2.4.58 "
                "(Unix) configured -- resuming normal operations"
            )
    return lines


def auth_json(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    for index in range(count):
        moment = clock.tick()
        outcome = rng.choices(["SUCCESS", "FAILURE"], [80, 20])[0]
        event = {
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{moment.microsecond // 1000:03d}Z",
            "event_type": "user.session.start",
            "user": rng.choice(_USERS),
            "client_ip": rng.choice(_INTERNAL + _EXTERNAL),
            "outcome": outcome,
            "reason": None
            if outcome == "SUCCESS"
            else rng.choice(["INVALID_CREDENTIALS", "LOCKED_OUT"]),
            "app": rng.choice(["portal", "vpn", "mail"]),
            "hostname": rng.choice(["sso-01.example.com", "sso-02.example.com"]),
            "auth_method": rng.choice(["password", "password+totp", "webauthn"]),
            "session": {"id": f"s-{seed}-{index:05d}", "mfa": rng.random() < 0.6},
            "user_agent": rng.choice(_AGENTS),
        }
        lines.append(json.dumps(event, separators=(", ", ": ")))
    return lines


def firewall_kv(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    for index in range(count):
        moment = clock.tick(0.01, 1.5).astimezone(CET)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+01:00"
        action = rng.choices(["accept", "deny", "close"], [60, 25, 15])[0]
        proto, service, port = rng.choice(
            [(6, "HTTPS", 443), (6, "HTTP", 80), (17, "DNS", 53), (6, "SSH", 22), (17, "NTP", 123)]
        )
        lines.append(
            f"timestamp={stamp} devname=fw-edge-01 logid=0000000013 action={action} "
            f"src={rng.choice(_INTERNAL)} dst={rng.choice(_EXTERNAL[:8])} "
            f"sport={rng.randint(1024, 65535)} dport={port} proto={proto} service={service} "
            f"sentbyte={rng.randint(40, 90000)} rcvdbyte={rng.randint(0, 900000)} "
            f"policyid={rng.randint(1, 40)} sessionid={100000 + index} "
            f'msg="{service} session {action}"'
        )
    return lines


def proxy_csv(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines = ["time,client_ip,user,method,url,status,bytes,content_type,user_agent"]
    for _ in range(count):
        moment = clock.tick()
        method = rng.choices(["GET", "POST", "CONNECT"], [80, 15, 5])[0]
        host = rng.choice(["www.example.com", "cdn.example.net", "api.example.org"])
        path = rng.choice(_PATHS)
        url = f"{host}:443" if method == "CONNECT" else f"https://{host}{path}"
        status = rng.choices([200, 204, 302, 403, 404, 407, 502], [70, 5, 6, 6, 8, 3, 2])[0]
        agent = rng.choice(_AGENTS)
        lines.append(
            f"{moment.strftime('%Y-%m-%d %H:%M:%S')},{rng.choice(_INTERNAL)},"
            f"{rng.choice(_USERS)},{method},{url},{status},{rng.randint(0, 250000)},"
            f'{rng.choice(["text/html", "application/json", "image/png", "-"])},"{agent}"'
        )
    return lines


def _syslog_time(moment: datetime) -> str:
    return moment.strftime("%b ") + f"{moment.day:>2}" + moment.strftime(" %H:%M:%S")


def linux_secure(count: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    auth = 0
    for _ in range(count):
        stamp = _syslog_time(clock.tick())
        host = rng.choice(["bastion01", "bastion02"])
        pid = rng.randint(1000, 65000)
        ip = rng.choice(_EXTERNAL[:8] + _INTERNAL)
        port = rng.randint(1024, 65535)
        user = rng.choice(_USERS)
        roll = rng.random()
        if roll < 0.3:
            method = rng.choice(["publickey", "password"])
            message = f"sshd[{pid}]: Accepted {method} for {user} from {ip} port {port} ssh2"
            if method == "publickey":
                message += ": ED25519 SHA256:Zm9vYmFyYmF6cXV4"
            auth += 1
        elif roll < 0.5:
            invalid = "invalid user " if rng.random() < 0.4 else ""
            message = f"sshd[{pid}]: Failed password for {invalid}{user} from {ip} port {port} ssh2"
            auth += 1
        elif roll < 0.58:
            invalid_user = rng.choice(["test", "oracle", "pi"])
            message = f"sshd[{pid}]: Invalid user {invalid_user} from {ip} port {port}"
            auth += 1
        elif roll < 0.75:
            message = (
                f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1001) "
                "by (uid=0)"
            )
        elif roll < 0.88:
            message = (
                f"sudo: {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; "
                "COMMAND=/usr/bin/systemctl restart nginx"
            )
        else:
            message = f"systemd-logind[812]: New session {rng.randint(1, 999)} of user {user}."
        lines.append(f"{stamp} {host} {message}")
    return lines, auth


def rfc5424(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    for _ in range(count):
        moment = clock.tick()
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"
        severity = rng.choice([3, 4, 6, 6, 6, 7])
        pri = 8 * 20 + severity
        if rng.random() < 0.7:
            message = (
                f"invoice created invoice_id=INV-{rng.randint(10000, 99999)} "
                f"amount={rng.randint(5, 900)}.{rng.randint(0, 99):02d} currency=EUR "
                f"customer={rng.randint(1, 500)}"
            )
        else:
            message = f"payment gateway latency {rng.randint(20, 900)}ms above threshold"
        sd = f'[meta@32473 env="prod" region="{rng.choice(["eu-west-1", "eu-central-1"])}"]'
        lines.append(
            f"<{pri}>1 {stamp} billing-{rng.randint(1, 3):02d} billing {rng.randint(100, 999)} "
            f"ID{rng.randint(1, 60)} {sd} {message}"
        )
    return lines


def _asa_endpoint(iface: str, ip: str, port: int) -> str:
    return f"{iface}:{ip}/{port}"


def cisco_asa(count: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    traffic = 0
    open_connections: list[tuple[int, str, str, str, int, int]] = []
    next_id = 4_200_000
    for _ in range(count):
        moment = clock.tick(0.01, 2.0)
        head = moment.strftime("%b %d %Y %H:%M:%S") + " asa-fw01 : "
        roll = rng.random()
        if open_connections and roll < 0.3:
            conn, proto, outside_ip, inside_ip, dport, sport = open_connections.pop(0)
            duration = f"0:{rng.randint(0, 5):02d}:{rng.randint(0, 59):02d}"
            mid = "302014" if proto == "TCP" else "302016"
            tail = " TCP FINs" if proto == "TCP" else ""
            lines.append(
                f"{head}%ASA-6-{mid}: Teardown {proto} connection {conn} for "
                f"{_asa_endpoint('outside', outside_ip, dport)} to "
                f"{_asa_endpoint('inside', inside_ip, sport)} duration {duration} bytes "
                f"{rng.randint(0, 500000)}{tail}"
            )
            traffic += 1
        elif roll < 0.65:
            proto = rng.choice(["TCP", "TCP", "UDP"])
            mid = "302013" if proto == "TCP" else "302015"
            outside_ip, inside_ip = rng.choice(_EXTERNAL[:8]), rng.choice(_INTERNAL)
            dport = rng.choice([443, 80, 53, 123] if proto == "UDP" else [443, 80, 22, 8443])
            sport = rng.randint(1024, 65535)
            next_id += 1
            lines.append(
                f"{head}%ASA-6-{mid}: Built outbound {proto} connection {next_id} for "
                f"{_asa_endpoint('outside', outside_ip, dport)} ({outside_ip}/{dport}) to "
                f"{_asa_endpoint('inside', inside_ip, sport)} (203.0.113.1/{sport})"
            )
            open_connections.append((next_id, proto, outside_ip, inside_ip, dport, sport))
            traffic += 1
        elif roll < 0.8:
            lines.append(
                f"{head}%ASA-4-106023: Deny tcp src outside:{rng.choice(_EXTERNAL[:5])}/"
                f"{rng.randint(1024, 65535)} dst inside:{rng.choice(_INTERNAL)}/"
                f'{rng.choice([22, 23, 445, 3389])} by access-group "outside_access_in" '
                "[0x0, 0x0]"
            )
            traffic += 1
        elif roll < 0.9:
            verdict = rng.choice(["permitted", "permitted", "denied"])
            lines.append(
                f"{head}%ASA-6-106100: access-list inside_access_in {verdict} tcp "
                f"inside/{rng.choice(_INTERNAL)}({rng.randint(1024, 65535)}) -> "
                f"outside/{rng.choice(_EXTERNAL[:8])}({rng.choice([443, 80])}) hit-cnt 1 "
                "first hit [0x91c0ab12, 0x0]"
            )
            traffic += 1
        elif roll < 0.95:
            lines.append(f"{head}%ASA-5-111008: User 'admin' executed the 'write memory' command.")
        else:
            lines.append(
                f"{head}%ASA-6-605005: Login permitted from {rng.choice(_INTERNAL)}/"
                f'{rng.randint(1024, 65535)} to inside:10.1.1.1/ssh for user "admin"'
            )
    return lines, traffic


def xml_events(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    events: list[str] = []
    for index in range(count):
        moment = clock.tick(1, 120)
        status = rng.choices(["Completed", "Failed", "Warning"], [80, 10, 10])[0]
        events.append(
            "\n".join(
                [
                    "<Event>",
                    "  <System>",
                    '    <Provider Name="Acme-Backup"/>',
                    f"    <EventID>{4100 if status == 'Completed' else 4200}</EventID>",
                    f"    <Level>{'Information' if status == 'Completed' else 'Error'}</Level>",
                    f'    <TimeCreated SystemTime="{moment.strftime("%Y-%m-%dT%H:%M:%S.%f")}Z"/>',
                    f"    <Computer>backup-{rng.randint(1, 3):02d}.corp.example.com</Computer>",
                    "  </System>",
                    "  <EventData>",
                    f"    <Job>{rng.choice(['nightly-db', 'hourly-files', 'weekly-full'])}</Job>",
                    f"    <Status>{status}</Status>",
                    f"    <BytesWritten>{rng.randint(0, 10**10)}</BytesWritten>",
                    f"    <RunId>{seed}-{index}</RunId>",
                    "  </EventData>",
                    "</Event>",
                ]
            )
        )
    return events


_STACK = [
    "java.net.SocketTimeoutException: Read timed out",
    "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)",
    "\tat java.base/java.net.Socket$SocketInputStream.read(Socket.java:1099)",
    "\tat com.acme.orders.PaymentClient.charge(PaymentClient.java:88)",
    "\tat com.acme.orders.OrderService.place(OrderService.java:142)",
    "Caused by: java.io.IOException: Connection reset by peer",
    "\tat com.acme.net.Pool.read(Pool.java:51)",
    "\t... 42 more",
]


def java_app(count: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    for _ in range(count):
        moment = clock.tick()
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"
        thread = f"http-nio-8080-exec-{rng.randint(1, 12)}"
        level = rng.choices(["INFO", "DEBUG", "WARN", "ERROR"], [60, 20, 12, 8])[0]
        if level == "ERROR":
            lines.append(
                f"{stamp} ERROR [{thread}] com.acme.orders.PaymentClient - Payment failed for "
                f"order {rng.randint(1000, 9999)}"
            )
            lines.extend(_STACK[: rng.randint(3, len(_STACK))])
        else:
            lines.append(
                f"{stamp} {level:<5} [{thread}] com.acme.orders.OrderService - Order "
                f"{rng.randint(1000, 9999)} {rng.choice(['created', 'shipped', 'paid'])} "
                f"for customer {rng.randint(1, 500)}"
            )
    return lines, count


def unknown_text(count: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    clock = _Clock(rng)
    lines: list[str] = []
    for _ in range(count):
        moment = clock.tick()
        stamp = moment.strftime("%d-%b-%Y %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        worker = f"worker-{rng.randint(1, 8)}"
        job = rng.randint(1000, 99999)
        if rng.random() < 0.1:
            lines.append(f"@@ {stamp} | {worker} | job {job} failed, will retry")
            lines.append(f"    > attempt {rng.randint(1, 3)} of 3: upstream returned 503")
            lines.append("    > backing off 30s")
        else:
            lines.append(
                f"@@ {stamp} | {worker} | job {job} finished in {rng.randint(3, 900)}ms "
                f"(queue {rng.choice(['emails', 'thumbnails', 'reports'])})"
            )
    return lines, count


_SOURCE_SYSTEMS = {
    "apache_access_combined.log": "Apache HTTP Server",
    "apache_access_common.log": "Apache HTTP Server",
    "apache_error.log": "Apache HTTP Server",
    "sso_auth.json": "Acme SSO",
    "firewall_kv.log": "Acme EdgeWall",
    "proxy_export.csv": "Acme WebProxy",
    "linux_secure.log": "Linux secure",
    "billing_rfc5424.log": "Acme Billing",
    "cisco_asa.log": "Cisco ASA",
    "backup_events.xml": "Acme Backup",
    "orders_app.log": "Acme Orders",
    "worker_unknown.log": "Acme Workers",
}


def _spec(
    filename: str,
    lines: list[str],
    fmt: str,
    events: int,
    model: str | None,
    model_events: int,
    multiline: bool,
    description: str,
) -> SampleSpec:
    content = ("\n".join(lines) + "\n").encode("utf-8")
    return SampleSpec(
        filename,
        content,
        fmt,
        events,
        model,
        model_events,
        multiline,
        description,
        _SOURCE_SYSTEMS[filename],
    )


def build_samples() -> dict[str, SampleSpec]:
    """All realistic samples, keyed by file name."""
    specs: list[SampleSpec] = []
    lines, n = apache_access(True, 600, 1)
    specs.append(
        _spec(
            "apache_access_combined.log",
            lines,
            "apache_access",
            n,
            "Web",
            n,
            False,
            "Apache httpd access log, NCSA combined format",
        )
    )
    lines, n = apache_access(False, 400, 2)
    specs.append(
        _spec(
            "apache_access_common.log",
            lines,
            "apache_access",
            n,
            "Web",
            n,
            False,
            "Apache httpd access log, NCSA common format",
        )
    )
    lines = apache_error(300, 3)
    specs.append(
        _spec(
            "apache_error.log",
            lines,
            "apache_error",
            len(lines),
            None,
            0,
            False,
            "Apache httpd 2.4 error log",
        )
    )
    lines = auth_json(400, 4)
    specs.append(
        _spec(
            "sso_auth.json",
            lines,
            "json",
            len(lines),
            "Authentication",
            len(lines),
            False,
            "JSON lines from a single sign-on service",
        )
    )
    lines = firewall_kv(500, 5)
    specs.append(
        _spec(
            "firewall_kv.log",
            lines,
            "kv",
            len(lines),
            "Network_Traffic",
            len(lines),
            False,
            "key=value traffic log of an edge firewall",
        )
    )
    lines = proxy_csv(400, 6)
    specs.append(
        _spec(
            "proxy_export.csv",
            lines,
            "csv",
            len(lines) - 1,
            "Web",
            len(lines) - 1,
            False,
            "CSV export with a header row from a web proxy",
        )
    )
    lines, auth = linux_secure(500, 7)
    specs.append(
        _spec(
            "linux_secure.log",
            lines,
            "syslog",
            len(lines),
            "Authentication",
            auth,
            False,
            "RFC 3164 syslog /var/log/secure with sshd logins",
        )
    )
    lines = rfc5424(300, 8)
    specs.append(
        _spec(
            "billing_rfc5424.log",
            lines,
            "syslog",
            len(lines),
            None,
            0,
            False,
            "RFC 5424 syslog from an application, key=value bodies",
        )
    )
    lines, traffic = cisco_asa(600, 9)
    specs.append(
        _spec(
            "cisco_asa.log",
            lines,
            "cisco_asa",
            len(lines),
            "Network_Traffic",
            traffic,
            False,
            "Cisco ASA syslog with connection and ACL messages",
        )
    )
    lines = xml_events(150, 10)
    specs.append(
        _spec(
            "backup_events.xml",
            lines,
            "xml",
            len(lines),
            None,
            0,
            True,
            "multi-line XML event records of a backup tool",
        )
    )
    lines, n = java_app(400, 11)
    specs.append(
        _spec(
            "orders_app.log",
            lines,
            "text",
            n,
            None,
            0,
            True,
            "log4j-style Java application log with stack traces",
        )
    )
    lines, n = unknown_text(400, 12)
    specs.append(
        _spec(
            "worker_unknown.log",
            lines,
            "text",
            n,
            None,
            0,
            True,
            "free text of an unknown format with continuation lines",
        )
    )
    return {spec.filename: spec for spec in specs}


def apache_access_stream(size_bytes: int, seed: int = 99) -> Callable[[], bytes]:
    """A generator of Apache combined log chunks totalling about ``size_bytes``."""
    rng = random.Random(seed)
    clock = _Clock(rng)

    def chunks() -> bytes:
        return (
            "\n".join(_access_line(rng, clock, combined=True) for _ in range(2000)) + "\n"
        ).encode("utf-8")

    return chunks


def write_samples(directory: Path = SAMPLES_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec in build_samples().values():
        path = directory / spec.filename
        path.write_bytes(spec.content)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES_DIR):
        print(written_path)
