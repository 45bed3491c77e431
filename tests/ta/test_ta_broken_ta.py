"""A TA broken in any way fails the check with a message that says where (file, stanza, key)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from ta_sample_factory import SAMPLES_DIR
from ta_test_helpers import check_one, repack, unpack

from services.requests.ta_builder import BuildResult

ACCESS = "access_combined"
ASA = "cisco:asa"
PROPS = "default/props.conf"


@dataclass(frozen=True)
class Breakage:
    name: str
    ta: str  # "access" or "asa"
    edit: Callable[[dict[str, str]], None]
    code: str
    file: str
    stanza: str | None
    key: str | None
    text: str  # expected in the message


def _sub(path: str, pattern: str, replacement: str) -> Callable[[dict[str, str]], None]:
    def edit(files: dict[str, str]) -> None:
        updated, count = re.subn(pattern, lambda _: replacement, files[path], count=1, flags=re.M)
        assert count == 1, f"{pattern!r} not found in {path}"
        files[path] = updated

    return edit


def _append(path: str, text: str) -> Callable[[dict[str, str]], None]:
    def edit(files: dict[str, str]) -> None:
        files[path] = files.get(path, "") + text

    return edit


def _drop(path: str) -> Callable[[dict[str, str]], None]:
    def edit(files: dict[str, str]) -> None:
        del files[path]

    return edit


BREAKAGES = [
    Breakage(
        "extract regex does not compile",
        "access",
        _append(PROPS, "EXTRACT-broken = (?P<thing>[a-\n"),
        "props.extract",
        PROPS,
        ACCESS,
        "EXTRACT-broken",
        "does not compile",
    ),
    Breakage(
        "extract without a named group",
        "access",
        _append(PROPS, "EXTRACT-nothing = \\d+\n"),
        "props.extract.no_field",
        PROPS,
        ACCESS,
        "EXTRACT-nothing",
        "no named group",
    ),
    Breakage(
        "REPORT target missing",
        "access",
        _sub(PROPS, r"^REPORT-access_fields = .*$", "REPORT-access_fields = no_such_transform"),
        "props.transform_target",
        PROPS,
        ACCESS,
        "REPORT-access_fields",
        "[no_such_transform]",
    ),
    Breakage(
        "transforms regex does not compile",
        "access",
        _sub("default/transforms.conf", r"^REGEX = \^", "REGEX = ^(?P<open"),
        "transforms.invalid",
        "default/transforms.conf",
        "access_combined_fields",
        "REGEX",
        "does not compile",
    ),
    Breakage(
        "eventtype without tags",
        "access",
        _drop("default/tags.conf"),
        "eventtypes.no_tags",
        "default/eventtypes.conf",
        "access_combined_web",
        None,
        "has no enabled tags",
    ),
    Breakage(
        "tags do not complete the data model",
        "asa",
        _sub("default/tags.conf", r"^communicate = enabled$", "communicate = disabled"),
        "tags.data_model",
        "default/tags.conf",
        "eventtype=cisco_asa_network_traffic",
        "communicate",
        "Network_Traffic",
    ),
    Breakage(
        "tags name an unknown eventtype",
        "access",
        _append("default/tags.conf", "\n[eventtype=ghost]\nweb = enabled\n"),
        "tags.unknown_eventtype",
        "default/tags.conf",
        "eventtype=ghost",
        None,
        "ghost",
    ),
    Breakage(
        "wrong TIME_FORMAT",
        "access",
        _sub(PROPS, r"^TIME_FORMAT = .*$", "TIME_FORMAT = %Y-%m-%d %H:%M:%S"),
        "dynamic.timestamps",
        PROPS,
        ACCESS,
        "TIME_FORMAT",
        "timestamps read from the event on 0 of 600",
    ),
    Breakage(
        "wrong TIME_PREFIX",
        "access",
        _sub(PROPS, r"^TIME_PREFIX = .*$", "TIME_PREFIX = <<never>>"),
        "dynamic.timestamps",
        PROPS,
        ACCESS,
        "TIME_PREFIX",
        "600 without a TIME_PREFIX match",
    ),
    Breakage(
        "unknown TIME_FORMAT directive",
        "access",
        _sub(PROPS, r"^TIME_FORMAT = .*$", "TIME_FORMAT = %d/%b/%Y:%K"),
        "props.time_format",
        PROPS,
        ACCESS,
        "TIME_FORMAT",
        "unknown directive %K",
    ),
    Breakage(
        "unknown time zone",
        "asa",
        _sub(PROPS, r"^TZ = UTC$", "TZ = Mars/Olympus"),
        "props.timezone",
        PROPS,
        ASA,
        "TZ",
        "not a known time zone",
    ),
    Breakage(
        "LINE_BREAKER without a capturing group",
        "access",
        _sub(PROPS, r"^LINE_BREAKER = .*$", "LINE_BREAKER = [\\r\\n]+"),
        "props.line_breaker",
        PROPS,
        ACCESS,
        "LINE_BREAKER",
        "no capturing group",
    ),
    Breakage(
        "EVAL syntax error",
        "access",
        _sub(PROPS, r"^EVAL-user = .*$", 'EVAL-user = if(user=="-", null(), user'),
        "props.eval",
        PROPS,
        ACCESS,
        "EVAL-user",
        "expected ')'",
    ),
    Breakage(
        "EVAL unknown function",
        "asa",
        _sub(PROPS, r"^EVAL-transport = .*$", "EVAL-transport = lowercase(protocol)"),
        "props.eval",
        PROPS,
        ASA,
        "EVAL-transport",
        "unknown function lowercase()",
    ),
    Breakage(
        "FIELDALIAS syntax",
        "access",
        _sub(PROPS, r"^FIELDALIAS-cim_web = .*$", "FIELDALIAS-cim_web = clientip src"),
        "props.fieldalias",
        PROPS,
        ACCESS,
        "FIELDALIAS-cim_web",
        "AS",
    ),
    Breakage(
        "CIM required field no longer extracted",
        "access",
        _sub(PROPS, r"^FIELDALIAS-cim_web = .*$", "FIELDALIAS-cim_web = method AS http_method"),
        "cim.required_field",
        PROPS,
        ACCESS,
        None,
        "required field src is extracted on 0",
    ),
    Breakage(
        "CIM values break the model",
        "access",
        _sub(PROPS, r"^EVAL-user = .*$", "EVAL-http_method = lower(method)"),
        "cim.invalid_value",
        PROPS,
        ACCESS,
        None,
        "http_method that is not one of GET",
    ),
    Breakage(
        "duplicate key",
        "access",
        _sub(PROPS, r"^KV_MODE = none$", "KV_MODE = none\nKV_MODE = auto"),
        "conf.duplicate_key",
        PROPS,
        ACCESS,
        "KV_MODE",
        "set again",
    ),
    Breakage(
        "invalid KV_MODE",
        "access",
        _sub(PROPS, r"^KV_MODE = none$", "KV_MODE = magic"),
        "props.kv_mode",
        PROPS,
        ACCESS,
        "KV_MODE",
        "'magic' is not a KV_MODE",
    ),
    Breakage(
        "TRUNCATE cuts events",
        "access",
        _sub(PROPS, r"^TRUNCATE = .*$", "TRUNCATE = 60"),
        "dynamic.truncated",
        PROPS,
        ACCESS,
        "TRUNCATE",
        "longer than TRUNCATE = 60",
    ),
    Breakage(
        "app version not semver",
        "access",
        _sub("default/app.conf", r"^version = 1\.0\.0$", "version = one"),
        "app.version",
        "default/app.conf",
        "launcher",
        "version",
        "not a semantic version",
    ),
    Breakage(
        "local directory shipped",
        "access",
        _append("local/props.conf", "[x]\nKV_MODE = none\n"),
        "package.local",
        "local/props.conf",
        None,
        None,
        "must not ship local/",
    ),
    Breakage(
        "hidden file shipped",
        "access",
        _append("default/.secret", "x"),
        "package.hidden_file",
        "default/.secret",
        None,
        None,
        "hidden file",
    ),
    Breakage(
        "eventtype search with a pipe",
        "access",
        _sub("default/eventtypes.conf", r"^search = .*$", "search = sourcetype=x | stats count"),
        "eventtypes.search",
        "default/eventtypes.conf",
        "access_combined_web",
        "search",
        "pipe",
    ),
]


def _broken_package(ta: BuildResult, breakage: Breakage) -> bytes:
    files = unpack(ta.package)
    app = next(iter(files)).split("/", 1)[0]
    texts = {name.split("/", 1)[1]: data.decode() for name, data in files.items()}
    breakage.edit(texts)
    return repack({f"{app}/{name}": text.encode() for name, text in texts.items()})


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.name for b in BREAKAGES])
def test_broken_ta_fails_saying_where(
    breakage: Breakage, access_ta: BuildResult, asa_ta: BuildResult
) -> None:
    ta, sample = (
        (access_ta, "apache_access_combined.log")
        if breakage.ta == "access"
        else (asa_ta, "cisco_asa.log")
    )
    result = check_one(_broken_package(ta, breakage), [SAMPLES_DIR / sample], appinspect=False)
    results = result.results
    assert results["passed"] is False
    matching = [e for e in results["errors"] if e["code"] == breakage.code]
    assert matching, [e["message"] for e in results["errors"]]
    error = next((e for e in matching if breakage.text in e["message"]), None)
    assert error is not None, [e["message"] for e in matching]
    assert error["file"] == breakage.file
    assert error.get("stanza") == breakage.stanza
    assert error.get("key") == breakage.key
    assert error["message"].startswith(breakage.file)
    if breakage.stanza is not None:
        assert f"[{breakage.stanza}]" in error["message"]
    if breakage.key is not None:
        assert breakage.key in error["message"]


def test_the_unbroken_packages_pass(access_ta: BuildResult, asa_ta: BuildResult) -> None:
    for ta, sample in ((access_ta, "apache_access_combined.log"), (asa_ta, "cisco_asa.log")):
        files = unpack(ta.package)
        result = check_one(repack(files), [SAMPLES_DIR / sample], appinspect=False)
        assert result.results["errors"] == []
