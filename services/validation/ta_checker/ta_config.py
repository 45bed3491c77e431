"""The TA's configuration as Splunk would load it: default/*.conf and metadata/*.meta."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.kernel.splunk_conf import (
    ConfDecodeError,
    ConfFile,
    ConfIssueKind,
    ConfSetting,
    parse_conf_bytes,
)

from .archive import TAPackage
from .findings import Finding, error

_ISSUE_CODES = {
    ConfIssueKind.DUPLICATE_STANZA: "conf.duplicate_stanza",
    ConfIssueKind.DUPLICATE_KEY: "conf.duplicate_key",
    ConfIssueKind.INVALID_LINE: "conf.invalid_line",
    ConfIssueKind.EMPTY_KEY: "conf.empty_key",
    ConfIssueKind.DANGLING_CONTINUATION: "conf.dangling_continuation",
}
_SPECIAL_PROPS = ("source::", "host::", "rule::", "delayedrule::")


@dataclass
class TAConfig:
    package: TAPackage
    confs: dict[str, ConfFile] = field(default_factory=dict)  # "props" -> default/props.conf
    metas: dict[str, ConfFile] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def conf(self, name: str) -> ConfFile:
        return self.confs.get(name) or ConfFile(path=f"default/{name}.conf")

    def sourcetypes(self) -> list[str]:
        """Source type stanzas of props.conf (not default, source::, host:: or rules)."""
        return [
            name
            for name in self.conf("props").names()
            if name != "default" and not name.startswith(_SPECIAL_PROPS)
        ]


def load_config(package: TAPackage) -> TAConfig:
    config = TAConfig(package)
    for relative in package.files:
        folder, _, filename = relative.rpartition("/")
        if folder == "default" and filename.endswith(".conf"):
            target, key = config.confs, filename[: -len(".conf")]
        elif folder == "metadata" and filename.endswith(".meta"):
            target, key = config.metas, filename[: -len(".meta")]
        else:
            continue
        data = package.read(relative) or b""
        try:
            conf = parse_conf_bytes(data, relative)
        except ConfDecodeError as exc:
            config.findings.append(error("conf.encoding", str(exc), file=relative))
            continue
        target[key] = conf
        for issue in conf.issues:
            config.findings.append(
                error(
                    _ISSUE_CODES[issue.kind],
                    issue.message,
                    file=relative,
                    stanza=issue.stanza,
                    key=issue.key,
                    line=issue.line,
                )
            )
    return config


@dataclass(frozen=True)
class ResolvedSetting:
    value: str
    stanza: str
    line: int


def _source_glob(pattern: str) -> re.Pattern[str]:
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("...", index):
            regex += ".*"
            index += 3
        elif pattern[index] == "*":
            regex += "[^/]*"
            index += 1
        else:
            regex += re.escape(pattern[index])
            index += 1
    return re.compile(regex + r"\Z")


def resolve_props(config: TAConfig, sourcetype: str, source: str) -> dict[str, ResolvedSetting]:
    """The props settings for events of ``sourcetype`` from ``source``, by Splunk precedence:
    [default] < [sourcetype] < [source::pattern] (more specific stanzas win)."""
    props = config.conf("props")
    layers: list[str] = []
    if props.stanza("default") is not None:
        layers.append("default")
    if props.stanza(sourcetype) is not None:
        layers.append(sourcetype)
    for name in props.names():
        if name.startswith("source::"):
            pattern = name[len("source::") :]
            if _source_glob(pattern).match(source) or _source_glob(pattern).match(f"/{source}"):
                layers.append(name)
    resolved: dict[str, ResolvedSetting] = {}
    for name in layers:
        stanza = props.stanza(name)
        if stanza is None:
            continue
        for key, setting in stanza.settings.items():
            resolved[key] = ResolvedSetting(setting.value, name, setting.line)
    return resolved


def setting(stanza_settings: dict[str, ConfSetting], key: str) -> str | None:
    found = stanza_settings.get(key)
    return found.value if found else None
