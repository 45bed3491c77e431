"""Line shapes of real logs that no registry package ships (Cisco ASA, Hadoop HDFS, Proxifier,
JSON with epoch milliseconds, Traefik JSON, iptables, PAM through syslog), reproduced
exactly: each sample is written from known instants, and the time the generated TA gives
every event (in the checker's Splunk emulation) must be that instant."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from real_corpora import REFERENCE, event_times

from services.requests.ta_builder import BuildOptions, BuildResult, Sample, build_ta
from services.validation.ta_checker import CheckOptions, LogSample, check_ta

START = datetime(2024, 3, 4, 8, 0, 0, tzinfo=UTC)
COUNT = 60


def _instants() -> list[datetime]:
    return [START + timedelta(seconds=97 * i + (i * i) % 13) for i in range(COUNT)]


def _asa(i: int, at: datetime) -> str:
    stamp = f"{at:%b %d %Y %H:%M:%S}:"
    variants = (
        f"%ASA-4-106023: Deny tcp src outside:192.0.2.{i % 250 + 1}/{40000 + i} dst "
        f'inside:10.0.0.5/22 by access-group "outside_access_in" [0x0, 0x0]',
        f"%ASA-2-106006: Deny inbound UDP from 198.51.100.{i % 250 + 1}/{50000 + i} to "
        "10.0.0.9/53 on interface outside",
        f"%ASA-6-302013: Built inbound TCP connection {1000 + i} for outside:203.0.113.{i % 250}"
        f"/{30000 + i} (203.0.113.{i % 250}/{30000 + i})(LOCAL\\alice) to inside:10.0.0.7/443 "
        "(10.0.0.7/443) (alice)",
    )
    return f"{stamp} {variants[i % 3]}"


def _hadoop(i: int, at: datetime) -> str:
    return (
        f"{at:%y%m%d %H%M%S} {140 + i} INFO dfs.DataNode$PacketResponder: PacketResponder 1 for "
        f"block blk_{3886504906413966 + i} terminating"
    )


def _proxifier(i: int, at: datetime) -> str:
    return (
        f"[{at:%m.%d %H:%M:%S}] chrome.exe - proxy.example.org:5070 open through proxy "
        f"proxy.example.org:5070 HTTPS {i}"
    )


def _json_epoch_ms(i: int, at: datetime) -> str:
    millis = int(at.timestamp() * 1000) + i % 1000
    return json.dumps({"timestamp": millis, "level": "info", "message": f"job {i} done"})


def _traefik_json(i: int, at: datetime) -> str:
    return json.dumps(
        {
            "ClientHost": f"192.0.2.{i % 250 + 1}" if i % 7 else f"2001:db8::{i:x}",
            "ClientPort": str(40000 + i),
            "DownstreamContentSize": 100 + i,
            "DownstreamStatus": (200, 404, 302)[i % 3],
            "RequestHost": "app.example.org",
            "RequestMethod": ("GET", "POST")[i % 2],
            "RequestPath": f"/api/items/{i}?page=2",
            "RequestProtocol": "HTTP/1.1",
            "request_User-Agent": "curl/8.5.0",
            "time": f"{at:%Y-%m-%dT%H:%M:%S}Z",
        }
    )


def _iptables(i: int, at: datetime) -> str:
    verdict = ("BLOCK", "ALLOW")[i % 2]
    return (
        f"{at:%b %d %H:%M:%S} fw kernel: [{12345 + i}.{i:03d}] [UFW {verdict}] IN=eth0 OUT= "
        f"MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 SRC=192.0.2.{i % 250 + 1} "
        f"DST=198.51.100.7 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID={1000 + i} DF PROTO=TCP "
        f"SPT={40000 + i} DPT={(22, 443, 3389)[i % 3]} WINDOW=29200 RES=0x00 SYN URGP=0"
    )


def _pam_syslog(i: int, at: datetime) -> str:
    return (
        f"{at:%b %d %H:%M:%S} combo sshd(pam_unix)[{19900 + i}]: authentication failure; "
        f"logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=192.0.2.{i % 250 + 1}  user=user{i}"
    )


SHAPES = {
    "cisco_asa": (_asa, "Cisco ASA"),
    "hadoop_hdfs": (_hadoop, "Apache Hadoop"),
    "proxifier": (_proxifier, "Proxifier"),
    "json_epoch_ms": (_json_epoch_ms, "Acme Jobs"),
    "traefik_json": (_traefik_json, "Traefik"),
    "iptables": (_iptables, "Linux iptables"),
    "pam_syslog": (_pam_syslog, "Linux PAM"),
}


def _write(tmp_path: Path, shape: str) -> tuple[Path, list[str], list[datetime]]:
    render, _ = SHAPES[shape]
    instants = _instants()
    lines = [render(i, at) for i, at in enumerate(instants)]
    path = tmp_path / f"{shape}.log"
    path.write_text("\n".join(lines) + "\n")
    return path, lines, instants


def _build(path: Path, shape: str) -> BuildResult:
    return build_ta([Sample.from_path(path)], BuildOptions(source_system=SHAPES[shape][1]))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_event_gets_its_own_instant(tmp_path: Path, shape: str) -> None:
    path, lines, instants = _write(tmp_path, shape)
    built = _build(path, shape)
    times = event_times(built.package, path)
    assert instants[-1] < REFERENCE  # year-less layouts resolve to the reference's year
    wrong = []
    for line, expected in zip(lines, instants, strict=True):
        _, got = times[line]
        if shape == "json_epoch_ms":
            expected = expected + timedelta(milliseconds=int(json.loads(line)["timestamp"]) % 1000)
        if got != expected:
            wrong.append((line[:60], got, expected))
    assert wrong == []


@pytest.mark.parametrize(
    ("shape", "sourcetype", "model"),
    [
        ("cisco_asa", "cisco:asa", "Network_Traffic"),
        ("traefik_json", "traefik:json", "Web"),
        ("iptables", "linux:iptables:syslog", "Network_Traffic"),
        ("pam_syslog", "linux_secure", "Authentication"),
    ],
)
def test_cim_required_fields_on_every_event(
    tmp_path: Path, shape: str, sourcetype: str, model: str
) -> None:
    path, _, _ = _write(tmp_path, shape)
    built = _build(path, shape)
    assert list(built.generation_metadata["sourcetypes"]) == [sourcetype]
    checked = check_ta(
        built.package,
        [LogSample.from_path(path)],
        CheckOptions(run_appinspect=False, cim_required=True),
    )
    assert checked.results["errors"] == []
    stats = checked.results["sourcetypes"][sourcetype]["cim"][model]
    assert stats["events"] == COUNT
    assert {name: f["coverage"] for name, f in stats["required_fields"].items()} == {
        name: 1.0 for name in stats["required_fields"]
    }


def _slow_log(i: int, at: datetime) -> str:
    return (
        f"# Time: {at:%Y-%m-%dT%H:%M:%S}.{i:06d}Z\n"
        f"# User@Host: app[app] @ web{i % 3} [192.0.2.{i % 250 + 1}]  Id: {100 + i}\n"
        f"# Query_time: {i / 7:.6f}  Lock_time: 0.000{i % 10}00 Rows_sent: {i % 20}  "
        f"Rows_examined: {i * 811}\n"
        f"SET timestamp={int(at.timestamp())};\n"
        f"SELECT * FROM orders WHERE customer_id = {i};"
    )


def _java(i: int, at: datetime) -> str:
    level = ("INFO", "WARN", "ERROR")[i % 3]
    return (
        f"{at:%Y-%m-%d %H:%M:%S},{i % 1000:03d} {level:<5} [pool-1-thread-{i % 4}] "
        f"com.acme.orders.OrderService - order {i} processed"
    )


@pytest.mark.parametrize(
    ("render", "fields"),
    [
        (_slow_log, {"Query_time", "Lock_time", "Rows_sent", "Rows_examined", "User_Host", "Id"}),
        (_java, {"log_level", "thread", "logger"}),
    ],
)
def test_fields_of_logs_without_a_cim_model(
    tmp_path: Path, render: Callable[[int, datetime], str], fields: set[str]
) -> None:
    instants = _instants()
    events = [render(i, at) for i, at in enumerate(instants)]
    path = tmp_path / "app.log"
    path.write_text("\n".join(events) + "\n")
    built = build_ta([Sample.from_path(path)], BuildOptions(source_system="Acme App"))
    checked = check_ta(
        built.package, [LogSample.from_path(path)], CheckOptions(run_appinspect=False)
    )
    assert checked.results["errors"] == []
    ((_, run),) = checked.results["sourcetypes"].items()
    assert run["events"] == COUNT and run["timestamp_coverage"] == 1.0
    coverage = {name: run["fields"][name]["coverage"] for name in fields if name in run["fields"]}
    assert coverage == dict.fromkeys(fields, 1.0)


def test_time_prefix_generalises_to_other_clients(tmp_path: Path) -> None:
    """Built from IPv4 clients without a user, the TA still reads the time of requests from
    IPv6 or named clients and of logged-in users."""

    def line(client: str, user: str, at: datetime) -> str:
        return (
            f'{client} - {user} [{at:%d/%b/%Y:%H:%M:%S} +0000] "GET /a HTTP/1.1" 200 12 "-" '
            '"curl/8.5.0"'
        )

    instants = _instants()
    built_from = tmp_path / "ipv4.log"
    built_from.write_text("\n".join(line(f"192.0.2.{i}", "-", at) for i, at in enumerate(instants)))
    built = build_ta([Sample.from_path(built_from)], BuildOptions(source_system="nginx"))
    props = built.files["default/props.conf"]
    assert "TIME_PREFIX = \\[\n" in props
    clients = ("2001:db8::7", "web-7.example.org", "198.51.100.9")
    users = ("-", "alice", "bob@example.org")
    later = [line(clients[i % 3], users[i % 3], at) for i, at in enumerate(instants)]
    checked_on = tmp_path / "others.log"
    checked_on.write_text("\n".join(later) + "\n")
    times = event_times(built.package, checked_on)
    assert [times[text][1] for text in later] == instants


def test_the_time_that_runs_forward_is_the_event_time(tmp_path: Path) -> None:
    """Two layouts on every line: a date quoted first (a cached copy's date, in no order)
    and the event's own time; the search keeps the one whose times run forward."""
    instants = _instants()
    lines = [
        f"{datetime(2020, 1 + i * 7 % 12, 1 + i * 5 % 28, 3, 4, 5):%Y-%m-%d %H:%M:%S} cached; "
        f"fetched {at:%d/%b/%Y:%H:%M:%S} +0000 by worker {i}"
        for i, at in enumerate(instants)
    ]
    path = tmp_path / "cache.log"
    path.write_text("\n".join(lines) + "\n")
    built = build_ta([Sample.from_path(path)], BuildOptions(source_system="Acme Cache"))
    assert "TIME_FORMAT = %d/%b/%Y:%H:%M:%S %z" in built.files["default/props.conf"]
    times = event_times(built.package, path)
    assert [times[text][1] for text in lines] == instants
