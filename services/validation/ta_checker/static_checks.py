"""The checker's own static checks, for what appinspect does not look at.

Every finding names the file, stanza and key (and line) it is about: regexes that do not
compile, REPORT-/TRANSFORMS- targets missing from transforms.conf, invalid time settings,
EVAL syntax errors, event types without tags, tags that do not complete a CIM data model,
duplicate stanzas and keys, and package layout rules (no local/, no hidden files).
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable

from services.kernel.splunk_cim import incomplete_models, models_for_tags
from services.kernel.splunk_conf import ConfSetting, ConfStanza

from .errors import SearchSyntaxError
from .extraction import TagIndex
from .findings import Finding, error, warning
from .pipeline import (
    KV_MODES,
    SettingError,
    UnsupportedSettingError,
    check_charset,
    compile_eval_setting,
    compile_format,
    compile_line_breaker,
    compile_regex,
    compile_transform,
    load_timezone,
    parse_bool,
    parse_fieldalias,
    parse_int,
    split_extract,
    transform_targets,
)
from .regex_compat import SplunkRegex
from .search_expr import EventtypeSearch, compile_search
from .ta_config import TAConfig

PROPS = "default/props.conf"
TRANSFORMS = "default/transforms.conf"
EVENTTYPES = "default/eventtypes.conf"
TAGS = "default/tags.conf"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_BOOLEAN_KEYS = (
    "SHOULD_LINEMERGE",
    "BREAK_ONLY_BEFORE_DATE",
    "EVENT_BREAKER_ENABLE",
    "AUTO_KV_JSON",
    "ANNOTATE_PUNCT",
)
_INT_KEYS = (
    "TRUNCATE",
    "MAX_TIMESTAMP_LOOKAHEAD",
    "MAX_EVENTS",
    "MAX_DAYS_AGO",
    "MAX_DAYS_HENCE",
    "MAX_DIFF_SECS_AGO",
    "MAX_DIFF_SECS_HENCE",
)
_REGEX_KEYS = (
    "TIME_PREFIX",
    "BREAK_ONLY_BEFORE",
    "MUST_BREAK_AFTER",
    "MUST_NOT_BREAK_AFTER",
    "MUST_NOT_BREAK_BEFORE",
    "LINE_BREAKER",
    "EVENT_BREAKER",
)


def _check(
    findings: list[Finding],
    code: str,
    file: str,
    stanza: str,
    setting: ConfSetting,
    fn: Callable[[str], object],
) -> object | None:
    try:
        return fn(setting.value)
    except UnsupportedSettingError as exc:
        findings.append(
            warning(
                f"{code}.unsupported",
                str(exc),
                file=file,
                stanza=stanza,
                key=setting.key,
                line=setting.line,
            )
        )
    except SettingError as exc:
        findings.append(
            error(code, str(exc), file=file, stanza=stanza, key=setting.key, line=setting.line)
        )
    return None


def _props_stanza(config: TAConfig, stanza: ConfStanza, findings: list[Finding]) -> None:
    name = stanza.name
    transforms = config.conf("transforms")
    for key, setting in stanza.settings.items():
        value = setting.value
        where = {"file": PROPS, "stanza": name, "key": key, "line": setting.line}
        if key in ("LINE_BREAKER", "EVENT_BREAKER"):
            _check(findings, "props.line_breaker", PROPS, name, setting, compile_line_breaker)
        elif key in _REGEX_KEYS:
            _check(findings, "props.regex", PROPS, name, setting, compile_regex)
        elif key in _BOOLEAN_KEYS:
            _check(findings, "props.boolean", PROPS, name, setting, parse_bool)
        elif key in _INT_KEYS:
            _check(findings, "props.integer", PROPS, name, setting, parse_int)
        elif key == "TIME_FORMAT":
            _check(findings, "props.time_format", PROPS, name, setting, compile_format)
        elif key == "TZ":
            _check(findings, "props.timezone", PROPS, name, setting, load_timezone)
        elif key == "CHARSET":
            _check(findings, "props.charset", PROPS, name, setting, check_charset)
        elif key == "KV_MODE":
            if value.strip().lower() not in KV_MODES:
                findings.append(
                    error(
                        "props.kv_mode",
                        f"{value!r} is not a KV_MODE (none, auto, auto_escaped, multi, json, xml)",
                        **where,
                    )
                )
            elif value.strip().lower().startswith("multi"):
                findings.append(
                    warning(
                        "props.kv_mode.unsupported", "multikv extraction is not emulated", **where
                    )
                )
        elif key == "DATETIME_CONFIG":
            if value.strip().upper() not in ("CURRENT", "NONE") and not value.endswith(".xml"):
                findings.append(
                    error(
                        "props.datetime_config",
                        f"{value!r} must be CURRENT, NONE or the path of a datetime.xml file",
                        **where,
                    )
                )
        elif key.startswith("EXTRACT-"):
            regex_text, _ = split_extract(value)
            pattern = _check(
                findings,
                "props.extract",
                PROPS,
                name,
                ConfSetting(key, regex_text, setting.line),
                compile_regex,
            )
            if isinstance(pattern, SplunkRegex) and not pattern.groupindex:
                findings.append(
                    error(
                        "props.extract.no_field",
                        "the regex has no named group, so it extracts no field",
                        **where,
                    )
                )
        elif key.startswith(("REPORT-", "TRANSFORMS-")):
            targets = transform_targets(value)
            if not targets:
                findings.append(error("props.transform_target", "names no transform", **where))
            for target in targets:
                if transforms.stanza(target) is None:
                    findings.append(
                        error(
                            "props.transform_target",
                            f"refers to [{target}], which {TRANSFORMS} does not define",
                            **where,
                        )
                    )
        elif key.startswith("FIELDALIAS-"):
            _check(findings, "props.fieldalias", PROPS, name, setting, parse_fieldalias)
        elif key.startswith("EVAL-"):
            expression = _check(findings, "props.eval", PROPS, name, setting, compile_eval_setting)
            unsupported = getattr(expression, "unsupported", ())
            if unsupported:
                findings.append(
                    warning(
                        "props.eval.unsupported",
                        f"uses {', '.join(sorted(set(unsupported)))}(), which the checker does not "
                        "evaluate",
                        **where,
                    )
                )
        elif key.startswith(("SEDCMD-", "LOOKUP-")):
            findings.append(
                warning(
                    "props.not_emulated", "this setting is not emulated by the checker", **where
                )
            )


def _transforms(config: TAConfig, findings: list[Finding]) -> None:
    for stanza in config.conf("transforms").stanzas.values():
        if stanza.name == "default":
            continue
        try:
            compile_transform(stanza)
        except UnsupportedSettingError as exc:
            key, _, message = str(exc).partition(": ")
            findings.append(
                warning(
                    "transforms.unsupported",
                    message,
                    file=TRANSFORMS,
                    stanza=stanza.name,
                    key=key,
                    line=stanza.line_of(key),
                )
            )
        except SettingError as exc:
            key, _, message = str(exc).partition(": ")
            findings.append(
                error(
                    "transforms.invalid",
                    message,
                    file=TRANSFORMS,
                    stanza=stanza.name,
                    key=key,
                    line=stanza.line_of(key),
                )
            )


def load_eventtypes(config: TAConfig) -> tuple[list[tuple[str, EventtypeSearch]], list[Finding]]:
    compiled: list[tuple[str, EventtypeSearch]] = []
    findings: list[Finding] = []
    for stanza in config.conf("eventtypes").stanzas.values():
        if stanza.name == "default":
            continue
        search = stanza.get("search")
        if search is None or not search.strip():
            findings.append(
                error(
                    "eventtypes.search",
                    "the event type has no search",
                    file=EVENTTYPES,
                    stanza=stanza.name,
                    key="search",
                    line=stanza.line,
                )
            )
            continue
        try:
            compiled.append((stanza.name, compile_search(search)))
        except SearchSyntaxError as exc:
            findings.append(
                error(
                    "eventtypes.search",
                    str(exc),
                    file=EVENTTYPES,
                    stanza=stanza.name,
                    key="search",
                    line=stanza.line_of("search"),
                )
            )
    return compiled, findings


def load_tags(config: TAConfig) -> tuple[TagIndex, list[Finding]]:
    findings: list[Finding] = []
    by_eventtype: dict[str, frozenset[str]] = {}
    by_field: dict[tuple[str, str], frozenset[str]] = {}
    for stanza in config.conf("tags").stanzas.values():
        if stanza.name == "default" or "=" not in stanza.name:
            if stanza.name != "default":
                findings.append(
                    error(
                        "tags.stanza",
                        "a tags.conf stanza must be [<field>=<value>]",
                        file=TAGS,
                        stanza=stanza.name,
                        line=stanza.line,
                    )
                )
            continue
        enabled: set[str] = set()
        for key, setting in stanza.settings.items():
            state = setting.value.strip().lower()
            if state not in ("enabled", "disabled"):
                findings.append(
                    error(
                        "tags.value",
                        f"{setting.value!r} must be enabled or disabled",
                        file=TAGS,
                        stanza=stanza.name,
                        key=key,
                        line=setting.line,
                    )
                )
            elif state == "enabled":
                enabled.add(key)
        field_name, _, value = stanza.name.partition("=")
        if field_name == "eventtype":
            by_eventtype[value] = frozenset(enabled)
        else:
            by_field[(field_name, value)] = frozenset(enabled)
    return TagIndex(by_eventtype, by_field), findings


def _eventtypes_and_tags(config: TAConfig, findings: list[Finding]) -> None:
    eventtypes = config.conf("eventtypes")
    _, eventtype_findings = load_eventtypes(config)
    tag_index, tag_findings = load_tags(config)
    findings.extend(eventtype_findings)
    findings.extend(tag_findings)
    defined = {name for name in eventtypes.names() if name != "default"}
    for name in sorted(defined):
        stanza = eventtypes.stanza(name)
        line = stanza.line if stanza else None
        tags = tag_index.by_eventtype.get(name, frozenset())
        if not tags:
            findings.append(
                error(
                    "eventtypes.no_tags",
                    f"event type {name} has no enabled tags in {TAGS} "
                    f"(no [eventtype={name}] stanza)",
                    file=EVENTTYPES,
                    stanza=name,
                    line=line,
                )
            )
            continue
        complete = models_for_tags(tags)
        for model, missing in incomplete_models(tags):
            overlap = tags & set(model.tags)
            if any(overlap <= set(other.tags) for other in complete):
                continue
            findings.append(
                error(
                    "tags.data_model",
                    f"tags {', '.join(sorted(tags & set(model.tags)))} of event type {name} start "
                    f"the CIM {model.name} data model but lack {', '.join(missing)}",
                    file=TAGS,
                    stanza=f"eventtype={name}",
                    key=missing[0],
                    line=_tag_line(config, name),
                )
            )
    for eventtype in sorted(tag_index.by_eventtype):
        if eventtype not in defined:
            findings.append(
                error(
                    "tags.unknown_eventtype",
                    f"tags an event type {eventtype} that {EVENTTYPES} does not define",
                    file=TAGS,
                    stanza=f"eventtype={eventtype}",
                    line=_tag_line(config, eventtype),
                )
            )


def _tag_line(config: TAConfig, eventtype: str) -> int | None:
    stanza = config.conf("tags").stanza(f"eventtype={eventtype}")
    return stanza.line if stanza else None


def _file_mode(relative: str, mode: int, findings: list[Finding]) -> None:
    """Setuid/setgid files are refused anywhere; executable files only under bin/."""
    if mode & (stat.S_ISUID | stat.S_ISGID):
        findings.append(
            error(
                "package.setuid",
                f"{relative} has the setuid/setgid bit (mode {mode:o}); a TA must not ship one",
                file=relative,
            )
        )
    if mode & 0o111 and not relative.startswith("bin/"):
        findings.append(
            error(
                "package.executable",
                f"{relative} is executable (mode {mode:o}) outside bin/",
                file=relative,
            )
        )


def _package_layout(config: TAConfig, findings: list[Finding]) -> None:
    files = config.package.files
    if "default/app.conf" not in files:
        findings.append(
            error(
                "package.app_conf", "the package has no default/app.conf", file="default/app.conf"
            )
        )
    for relative in files:
        parts = relative.split("/")
        _file_mode(relative, config.package.modes.get(relative, 0o644), findings)
        if parts[0] == "local":
            findings.append(
                error("package.local", "a TA package must not ship local/", file=relative)
            )
        if relative == "metadata/local.meta":
            findings.append(
                error("package.local_meta", "a TA package must not ship local.meta", file=relative)
            )
        if any(part.startswith(".") for part in parts):
            findings.append(
                error("package.hidden_file", "the package holds a hidden file", file=relative)
            )
    if not any(name.lower().startswith("readme") for name in files):
        findings.append(warning("package.readme", "the package has no README"))


def _app_conf(config: TAConfig, findings: list[Finding]) -> None:
    app = config.confs.get("app")
    if app is None:
        return
    path = "default/app.conf"
    launcher = app.stanza("launcher")
    version = launcher.get("version") if launcher else None
    if version is None:
        findings.append(
            error(
                "app.version",
                "no version in [launcher]",
                file=path,
                stanza="launcher",
                key="version",
            )
        )
    elif not _SEMVER.match(version):
        findings.append(
            error(
                "app.version",
                f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)",
                file=path,
                stanza="launcher",
                key="version",
                line=launcher.line_of("version") if launcher else None,
            )
        )
    package = app.stanza("package")
    app_id = package.get("id") if package else None
    if app_id is not None and app_id != config.package.app_name and package is not None:
        findings.append(
            error(
                "app.id",
                f"id {app_id!r} differs from the app directory {config.package.app_name!r}",
                file=path,
                stanza="package",
                key="id",
                line=package.line_of("id"),
            )
        )
    ui = app.stanza("ui")
    if ui is None or not ui.get("label"):
        findings.append(
            warning("app.label", "no label in [ui]", file=path, stanza="ui", key="label")
        )


def _inputs(config: TAConfig, findings: list[Finding]) -> None:
    inputs = config.confs.get("inputs")
    if inputs is None:
        return
    sourcetypes = set(config.sourcetypes())
    for stanza in inputs.stanzas.values():
        sourcetype = stanza.get("sourcetype")
        if sourcetype and sourcetype not in sourcetypes:
            findings.append(
                warning(
                    "inputs.sourcetype",
                    f"assigns source type {sourcetype}, which props.conf does not define",
                    file="default/inputs.conf",
                    stanza=stanza.name,
                    key="sourcetype",
                    line=stanza.line_of("sourcetype"),
                )
            )


def static_findings(config: TAConfig) -> list[Finding]:
    """All static findings for the TA (conf parse issues included)."""
    findings: list[Finding] = list(config.findings)
    _package_layout(config, findings)
    _app_conf(config, findings)
    for stanza in config.conf("props").stanzas.values():
        _props_stanza(config, stanza, findings)
    _transforms(config, findings)
    _eventtypes_and_tags(config, findings)
    _inputs(config, findings)
    if not config.sourcetypes():
        findings.append(
            error("props.no_sourcetype", "props.conf defines no source type", file=PROPS)
        )
    return findings
