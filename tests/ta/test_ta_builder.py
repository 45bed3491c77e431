"""The generator's output: package layout, conf contents, summary, metadata and options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ta_sample_factory import SAMPLES_DIR, SampleSpec
from ta_test_helpers import check_one, unpack

from services.kernel.splunk_conf import parse_conf_bytes
from services.requests.ta_builder import (
    BuildOptions,
    BuildResult,
    InvalidSourceSystemError,
    InvalidVersionError,
    NoSamplesError,
    Sample,
    SampleReadError,
    build_ta,
)
from services.requests.ta_builder.sourcetype import parse_source_system
from services.validation.ta_checker import CheckOptions, LogSample, check_ta


def _conf(files: dict[str, bytes], path: str) -> dict[str, dict[str, str]]:
    conf = parse_conf_bytes(files[path], path)
    assert conf.issues == []
    return conf.as_dict()


def test_package_layout_and_app_conf(access_ta: BuildResult) -> None:
    files = unpack(access_ta.package)
    assert sorted(files) == [
        "TA-apache-http-server/README.md",
        "TA-apache-http-server/default/app.conf",
        "TA-apache-http-server/default/eventtypes.conf",
        "TA-apache-http-server/default/inputs.conf",
        "TA-apache-http-server/default/props.conf",
        "TA-apache-http-server/default/tags.conf",
        "TA-apache-http-server/default/transforms.conf",
        "TA-apache-http-server/metadata/default.meta",
    ]
    app = _conf(files, "TA-apache-http-server/default/app.conf")
    assert app["launcher"]["version"] == "1.0.0"
    assert app["package"]["id"] == "TA-apache-http-server"
    assert app["ui"]["label"] == "Add-on for Apache HTTP Server"
    assert app["id"] == {"name": "TA-apache-http-server", "version": "1.0.0"}
    meta = _conf(files, "TA-apache-http-server/metadata/default.meta")
    assert meta[""]["export"] == "system"
    readme = files["TA-apache-http-server/README.md"].decode()
    assert "access_combined" in readme and "Web" in readme


def test_access_log_props_transforms_eventtypes_tags(access_ta: BuildResult) -> None:
    files = unpack(access_ta.package)
    props = _conf(files, "TA-apache-http-server/default/props.conf")["access_combined"]
    assert props["SHOULD_LINEMERGE"] == "false"
    assert props["LINE_BREAKER"] == "([\\r\\n]+)"
    assert props["TIME_PREFIX"] == "\\["
    assert props["TIME_FORMAT"] == "%d/%b/%Y:%H:%M:%S %z"
    assert int(props["MAX_TIMESTAMP_LOOKAHEAD"]) >= 26
    assert "TZ" not in props  # the offset is in the data
    assert props["KV_MODE"] == "none"
    assert props["REPORT-access_fields"] == "access_combined_fields"
    assert "clientip AS src" in props["FIELDALIAS-cim_web"]
    assert "referer AS http_referrer" in props["FIELDALIAS-cim_web_headers"]
    transforms = _conf(files, "TA-apache-http-server/default/transforms.conf")
    assert "(?P<clientip>" in transforms["access_combined_fields"]["REGEX"]
    eventtypes = _conf(files, "TA-apache-http-server/default/eventtypes.conf")
    assert eventtypes["access_combined_web"]["search"] == ('sourcetype="access_combined"')
    tags = _conf(files, "TA-apache-http-server/default/tags.conf")
    assert tags == {"eventtype=access_combined_web": {"web": "enabled"}}
    inputs = _conf(files, "TA-apache-http-server/default/inputs.conf")
    (stanza,) = inputs
    assert stanza.startswith("monitor:///var/log/apache/")
    assert inputs[stanza] == {"disabled": "true", "sourcetype": "access_combined"}


def test_config_summary_and_metadata(access_ta: BuildResult) -> None:
    summary = access_ta.config_summary
    assert summary["app_id"] == "TA-apache-http-server"
    per = summary["sourcetypes"]["access_combined"]
    assert set(per) == {
        "inputs.conf",
        "props.conf",
        "transforms.conf",
        "eventtypes.conf",
        "tags.conf",
    }
    assert per["props.conf"]["access_combined"]["TIME_FORMAT"] == "%d/%b/%Y:%H:%M:%S %z"
    metadata = access_ta.generation_metadata
    assert metadata["generator"] == {"name": "tagen-ta-builder", "version": "1.0.0"}
    details = metadata["sourcetypes"]["access_combined"]
    assert details["format"] == "apache_access"
    assert details["timestamp"]["coverage"] == 1.0
    assert details["data_model"]["name"] == "Web"
    assert 0.9 <= details["confidence"] <= 1.0
    assert details["fields"]["clientip"] == 1.0
    assert details["samples"][0]["events_analysed"] == 600


def test_syslog_formats_get_no_inputs_conf(sample_specs: dict[str, SampleSpec]) -> None:
    spec = sample_specs["linux_secure.log"]
    built = build_ta(
        [Sample.from_path(SAMPLES_DIR / spec.filename)],
        BuildOptions(source_system=spec.source_system),
    )
    files = unpack(built.package)
    assert not any(name.endswith("inputs.conf") for name in files)
    props = built.config_summary["sourcetypes"]["linux_secure"]["props.conf"]
    assert props["linux_secure"]["TZ"] == "UTC"
    assert any("no year" in warning for warning in built.generation_metadata["warnings"])


def test_several_formats_become_several_sourcetypes_checked_together() -> None:
    paths = [
        SAMPLES_DIR / "apache_access_common.log",
        SAMPLES_DIR / "apache_error.log",
        SAMPLES_DIR / "apache_access_combined.log",
    ]
    built = build_ta(
        [Sample.from_path(p) for p in paths], BuildOptions(source_system="Apache HTTP Server")
    )
    assert sorted(built.config_summary["sourcetypes"]) == [
        "access_combined",
        "apache_error",
    ]
    access = built.generation_metadata["sourcetypes"]["access_combined"]
    assert [s["name"] for s in access["samples"]] == [
        "apache_access_combined.log",
        "apache_access_common.log",
    ]
    checked = check_one(built.package, paths, appinspect=False)
    assert checked.results["errors"] == []
    samples = checked.results["samples"]
    assert samples["apache_error.log"]["sourcetype"] == "apache_error"
    assert samples["apache_access_common.log"]["sourcetype"] == "access_combined"
    assert checked.results["sourcetypes"]["access_combined"]["events"] == 1000


def test_timezone_option_and_version(sample_specs: dict[str, SampleSpec]) -> None:
    spec = sample_specs["orders_app.log"]
    built = build_ta(
        [Sample.from_path(SAMPLES_DIR / spec.filename)],
        BuildOptions(source_system="Acme Orders", timezone="Europe/Berlin", version="2.3.4"),
    )
    props = built.config_summary["sourcetypes"]["acme:orders:log"]["props.conf"]["acme:orders:log"]
    assert props["TZ"] == "Europe/Berlin"
    assert props["TIME_FORMAT"] == "%Y-%m-%d %H:%M:%S,%3N"
    assert props["EXTRACT-log_level"].endswith("\\b")
    assert built.package_name == "TA-acme-orders-2.3.4.tgz"
    with pytest.raises(InvalidVersionError, match=r"1\.0"):
        build_ta(
            [Sample.from_path(SAMPLES_DIR / spec.filename)],
            BuildOptions(source_system="Acme Orders", version="1.0"),
        )


@pytest.mark.parametrize(
    ("name", "vendor", "product", "app_id", "sourcetype"),
    [
        ("Cisco ASA", "cisco", "asa", "TA-cisco-asa", "cisco:asa:access"),
        (
            "Apache HTTP Server",
            "apache",
            "http_server",
            "TA-apache-http-server",
            "apache:http_server:access",
        ),
        ("nginx", "nginx", "nginx", "TA-nginx", "nginx:access"),
        ("OpenSSH", "openssh", "openssh", "TA-openssh", "openssh:access"),
        ("Squid: access", "squid", "access", "TA-squid-access", "squid:access"),
        (
            "Acme Corp: Billing API",
            "acme_corp",
            "billing_api",
            "TA-acme-corp-billing-api",
            "acme_corp:billing_api:access",
        ),
        ("Zürich Ölwerke", "zurich", "olwerke", "TA-zurich-olwerke", "zurich:olwerke:access"),
        ("3Com Switch", "v3com", "switch", "TA-v3com-switch", "v3com:switch:access"),
        ("3proxy", "v3proxy", "v3proxy", "TA-v3proxy", "v3proxy:access"),
    ],
)
def test_source_system_names(
    name: str, vendor: str, product: str, app_id: str, sourcetype: str
) -> None:
    system = parse_source_system(name)
    assert (system.vendor, system.product, system.app_id) == (vendor, product, app_id)
    # vendor:product:kind, never repeating a part
    assert system.sourcetype("access") == sourcetype


@pytest.mark.parametrize("name", ["", "   ", "???", "x" * 101])
def test_unusable_source_system_names(name: str) -> None:
    with pytest.raises(InvalidSourceSystemError):
        parse_source_system(name)


def test_no_samples_and_unreadable_samples(tmp_path: Path) -> None:
    with pytest.raises(NoSamplesError):
        build_ta([], BuildOptions(source_system="Acme App"))
    with pytest.raises(SampleReadError, match=r"missing\.log"):
        build_ta(
            [Sample.from_path(tmp_path / "missing.log")], BuildOptions(source_system="Acme App")
        )


def _pretty_json(count: int) -> bytes:
    return "\n".join(
        json.dumps({"ts": 1709539200 + i * 7, "job": {"id": i, "state": "done"}}, indent=2)
        for i in range(count)
    ).encode()


VARIANTS = [
    ("pretty.json", _pretty_json(60), "json", 60, True, "%s", "acme:app:json"),
    (
        "epoch_ms.log",
        "\n".join(
            f"ts={1709539200000 + i * 1500} level=info op=sync items={i}" for i in range(80)
        ).encode(),
        "kv",
        80,
        False,
        "%s%3N",
        "acme:app:kv",
    ),
    (
        "export.tsv",
        (
            "when\thost\tstatus\tcount\n"
            + "\n".join(
                f"2024/03/04 08:{i // 60:02d}:{i % 60:02d}\th{i % 3}\tok\t{i}" for i in range(90)
            )
        ).encode(),
        "csv",
        90,
        False,
        "%Y/%m/%d %H:%M:%S",
        "acme:app:csv",
    ),
    (
        "rsyslog.log",
        "\n".join(
            f"2024-03-04T08:00:{i % 60:02d}.{i:06d}+00:00 web01 nginx[12]: request {i} served"
            for i in range(70)
        ).encode(),
        "syslog",
        70,
        False,
        "%Y-%m-%dT%H:%M:%S.%6N%:z",
        "acme:app:syslog",
    ),
    (
        "us_dates.log",
        "\n".join(
            f"03/{4 + i % 20:02d}/2024 {1 + i % 12}:05:09 PM job {i} ok" for i in range(50)
        ).encode(),
        "text",
        50,
        False,
        "%m/%d/%Y %I:%M:%S %p",
        "acme:app:log",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "fmt", "events", "multiline", "time_format", "sourcetype"),
    VARIANTS,
    ids=[v[0] for v in VARIANTS],
)
def test_format_variants_round_trip_through_the_checker(
    name: str,
    data: bytes,
    fmt: str,
    events: int,
    multiline: bool,
    time_format: str,
    sourcetype: str,
) -> None:
    built = build_ta([Sample.from_bytes(name, data)], BuildOptions(source_system="Acme App"))
    details = built.generation_metadata["sourcetypes"][sourcetype]
    assert details["format"] == fmt
    assert details["event_breaking"]["multiline"] is multiline
    assert details["timestamp"]["time_format"] == time_format
    checked = check_ta(
        built.package, [LogSample.from_bytes(name, data)], CheckOptions(run_appinspect=False)
    )
    assert checked.results["errors"] == []
    stats = checked.results["sourcetypes"][sourcetype]
    assert stats["events"] == events
    assert stats["timestamp_coverage"] == 1.0
