"""Compiling a source type's props.conf/transforms.conf settings into a processing pipeline.

The same compile functions serve the static checks (which report what fails to compile,
with file, stanza and key) and the dynamic run (which uses what compiles).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.kernel.splunk_conf import ConfStanza

from .errors import EvalSyntaxError, RegexError, TimeFormatError
from .eval_expr import EvalExpression, compile_eval
from .regex_compat import SplunkRegex, UnsupportedRegexError, compile_splunk_regex
from .strptime import SplunkTimeFormat, compile_time_format
from .ta_config import ResolvedSetting, TAConfig, resolve_props

DEFAULT_LINE_BREAKER = r"([\r\n]+)"
DEFAULT_TRUNCATE = 10000
DEFAULT_LOOKAHEAD = 128
DEFAULT_MAX_EVENTS = 256
KV_MODES = frozenset({"none", "auto", "auto_escaped", "multi", "multi:", "json", "xml"})
_BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "t": True,
    "y": True,
    "false": False,
    "0": False,
    "no": False,
    "f": False,
    "n": False,
}


T = TypeVar("T")


class SettingError(ValueError):
    """A setting's value is invalid; the message says why (the caller adds where)."""


class UnsupportedSettingError(SettingError):
    """A setting may be valid but uses something the checker cannot emulate."""


def parse_bool(value: str) -> bool:
    try:
        return _BOOLEANS[value.strip().lower()]
    except KeyError as exc:
        raise SettingError(f"{value!r} is not a boolean (true/false)") from exc


def parse_int(value: str, *, minimum: int = 0) -> int:
    try:
        number = int(value.strip())
    except ValueError as exc:
        raise SettingError(f"{value!r} is not an integer") from exc
    if number < minimum:
        raise SettingError(f"{number} is below the minimum {minimum}")
    return number


def compile_regex(value: str) -> SplunkRegex[str]:
    try:
        return compile_splunk_regex(value)
    except UnsupportedRegexError as exc:
        raise UnsupportedSettingError(f"regex {value!r} {exc}") from exc
    except RegexError as exc:
        raise SettingError(f"regex {value!r} {exc}") from exc


def compile_line_breaker(value: str) -> SplunkRegex[str]:
    pattern = compile_regex(value)
    if pattern.groups < 1:
        raise SettingError(
            f"LINE_BREAKER {value!r} has no capturing group; Splunk needs one to know which "
            "text separates events"
        )
    return pattern


def compile_format(value: str) -> SplunkTimeFormat:
    try:
        return compile_time_format(value)
    except TimeFormatError as exc:
        raise SettingError(str(exc)) from exc


def load_timezone(value: str) -> tzinfo:
    if value.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingError(f"{value!r} is not a known time zone") from exc


def check_charset(value: str) -> str:
    if value.upper() == "AUTO":
        return "utf-8"
    try:
        return codecs.lookup(value).name
    except LookupError as exc:
        raise SettingError(f"{value!r} is not a known character set") from exc


def compile_eval_setting(value: str) -> EvalExpression:
    try:
        return compile_eval(value)
    except EvalSyntaxError as exc:
        raise SettingError(f"invalid eval expression: {exc}") from exc
    except RegexError as exc:
        raise SettingError(f"invalid eval expression: {exc}") from exc


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse_delims(value: str) -> list[str]:
    """DELIMS = "<pair delimiters>"[, "<key/value delimiters>"]"""
    found = _QUOTED.findall(value)
    rest = _QUOTED.sub("", value).replace(",", "").strip()
    if not found or rest or len(found) > 2:
        raise SettingError(f'DELIMS {value!r} must be one or two quoted strings, e.g. ","')
    out = [
        re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n"}.get(m.group(1), m.group(1)), f)
        for f in found
    ]
    if any(not d for d in out):
        raise SettingError(f"DELIMS {value!r} has an empty delimiter")
    return out


def parse_fields(value: str) -> list[str]:
    names = [part.strip().strip('"').strip() for part in value.split(",")]
    if not all(names):
        raise SettingError(f"FIELDS {value!r} has an empty field name")
    return names


def parse_transform_format(value: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for token in value.split():
        if "::" not in token:
            raise SettingError(f"FORMAT {value!r}: {token!r} is not <field>::<value>")
        name, _, template = token.partition("::")
        pairs.append((name, template.strip('"')))
    if not pairs:
        raise SettingError("FORMAT is empty")
    return pairs


def parse_fieldalias(value: str) -> list[tuple[str, str, bool]]:
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', value)
    aliases: list[tuple[str, str, bool]] = []
    index = 0
    while index < len(tokens):
        if index + 2 >= len(tokens) or tokens[index + 1].upper() not in ("AS", "ASNEW"):
            raise SettingError(
                f"FIELDALIAS {value!r} must be '<field> AS <alias>' pairs (near {tokens[index]!r})"
            )
        source, keyword, target = tokens[index : index + 3]
        aliases.append((source.strip('"'), target.strip('"'), keyword.upper() == "AS"))
        index += 3
    if not aliases:
        raise SettingError("FIELDALIAS is empty")
    return aliases


def split_extract(value: str) -> tuple[str, str | None]:
    """EXTRACT-<class> = <regex> [in <field>]"""
    found = re.search(r"\s+in\s+([A-Za-z_][\w.]*)\s*$", value)
    if found:
        return value[: found.start()], found.group(1)
    return value, None


def transform_targets(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


@dataclass(frozen=True)
class TransformRule:
    name: str
    regex: SplunkRegex[str] | None
    format: tuple[tuple[str, str], ...] | None
    source_key: str
    delims: tuple[str, ...] | None
    fields: tuple[str, ...] | None
    mv_add: bool
    clean_keys: bool
    keep_empty: bool
    dest_key: str | None
    format_value: str | None


def compile_transform(stanza: ConfStanza) -> TransformRule:
    """A transforms.conf stanza; SettingError names the key that is wrong."""

    def get(key: str) -> str | None:
        return stanza.get(key)

    regex = None
    if get("REGEX") is not None:
        try:
            regex = compile_regex(get("REGEX") or "")
        except SettingError as exc:
            raise SettingError(f"REGEX: {exc}") from exc
    delims = None
    fields = None
    if get("DELIMS") is not None:
        try:
            delims = tuple(parse_delims(get("DELIMS") or ""))
        except SettingError as exc:
            raise SettingError(f"DELIMS: {exc}") from exc
    if get("FIELDS") is not None:
        try:
            fields = tuple(parse_fields(get("FIELDS") or ""))
        except SettingError as exc:
            raise SettingError(f"FIELDS: {exc}") from exc
    fmt = None
    dest_key = get("DEST_KEY")
    if get("FORMAT") is not None and dest_key is None:
        try:
            fmt = tuple(parse_transform_format(get("FORMAT") or ""))
        except SettingError as exc:
            raise SettingError(f"FORMAT: {exc}") from exc
        if regex is not None:
            for _, template in fmt:
                for ref in re.findall(r"\$(\d+)", template):
                    if int(ref) > regex.groups:
                        raise SettingError(
                            f"FORMAT: ${ref} refers to a group the REGEX does not have "
                            f"({regex.groups} groups)"
                        )
    if regex is None and delims is None:
        raise SettingError("REGEX: the transform has neither REGEX nor DELIMS")
    if regex is not None and fmt is None and dest_key is None and not regex.groupindex:
        raise SettingError("REGEX: has no named group and there is no FORMAT; it extracts nothing")
    try:
        return TransformRule(
            name=stanza.name,
            regex=regex,
            format=fmt,
            source_key=get("SOURCE_KEY") or "_raw",
            delims=delims,
            fields=fields,
            mv_add=parse_bool(get("MV_ADD") or "false"),
            clean_keys=parse_bool(get("CLEAN_KEYS") or "true"),
            keep_empty=parse_bool(get("KEEP_EMPTY_VALS") or "false"),
            dest_key=dest_key,
            format_value=get("FORMAT"),
        )
    except SettingError as exc:
        raise SettingError(f"MV_ADD/CLEAN_KEYS/KEEP_EMPTY_VALS: {exc}") from exc


@dataclass(frozen=True)
class BreakingConfig:
    line_breaker: SplunkRegex[str]
    should_linemerge: bool
    truncate: int
    break_only_before: SplunkRegex[str] | None
    break_only_before_date: bool
    must_break_after: SplunkRegex[str] | None
    must_not_break_after: SplunkRegex[str] | None
    must_not_break_before: SplunkRegex[str] | None
    max_events: int
    charset: str


@dataclass(frozen=True)
class TimeConfig:
    mode: str  # "format", "auto", "current"
    prefix: SplunkRegex[str] | None
    format: SplunkTimeFormat | None
    lookahead: int
    tz: tzinfo
    tz_assumed: bool


@dataclass
class SearchTimeConfig:
    kv_mode: str = "auto"
    extracts: list[tuple[str, SplunkRegex[str], str | None]] = field(default_factory=list)
    reports: list[tuple[str, list[TransformRule]]] = field(default_factory=list)
    aliases: list[tuple[str, list[tuple[str, str, bool]]]] = field(default_factory=list)
    evals: list[tuple[str, EvalExpression]] = field(default_factory=list)


@dataclass
class SourcetypePipeline:
    sourcetype: str
    settings: dict[str, ResolvedSetting]
    breaking: BreakingConfig
    time: TimeConfig
    index_transforms: list[tuple[str, list[TransformRule]]]
    search: SearchTimeConfig
    skipped: list[str] = field(default_factory=list)  # what could not be compiled


def _optional_regex(
    settings: dict[str, ResolvedSetting], key: str, skipped: list[str]
) -> SplunkRegex[str] | None:
    found = settings.get(key)
    if found is None:
        return None
    try:
        return compile_regex(found.value)
    except SettingError:
        skipped.append(key)
        return None


def _safe(skipped: list[str], key: str, default: T, fn: Callable[..., T], *args: object) -> T:
    try:
        return fn(*args)
    except SettingError:
        skipped.append(key)
        return default


def _transforms(config: TAConfig, value: str, skipped: list[str], key: str) -> list[TransformRule]:
    rules: list[TransformRule] = []
    transforms = config.conf("transforms")
    for name in transform_targets(value):
        stanza = transforms.stanza(name)
        if stanza is None:
            skipped.append(f"{key} -> {name}")
            continue
        try:
            rules.append(compile_transform(stanza))
        except SettingError:
            skipped.append(f"{key} -> {name}")
    return rules


def build_pipeline(config: TAConfig, sourcetype: str, source: str) -> SourcetypePipeline:
    """Everything the dynamic run needs for one source type and sample, broken parts skipped."""
    settings = resolve_props(config, sourcetype, source)
    skipped: list[str] = []

    def value(key: str) -> str | None:
        found = settings.get(key)
        return found.value if found else None

    line_breaker = re.compile(DEFAULT_LINE_BREAKER)
    if value("LINE_BREAKER") is not None:
        line_breaker = _safe(
            skipped, "LINE_BREAKER", line_breaker, compile_line_breaker, value("LINE_BREAKER")
        )
    breaking = BreakingConfig(
        line_breaker=line_breaker,
        should_linemerge=_safe(
            skipped, "SHOULD_LINEMERGE", True, parse_bool, value("SHOULD_LINEMERGE") or "true"
        ),
        truncate=_safe(
            skipped,
            "TRUNCATE",
            DEFAULT_TRUNCATE,
            parse_int,
            value("TRUNCATE") or str(DEFAULT_TRUNCATE),
        ),
        break_only_before=_optional_regex(settings, "BREAK_ONLY_BEFORE", skipped),
        break_only_before_date=_safe(
            skipped,
            "BREAK_ONLY_BEFORE_DATE",
            True,
            parse_bool,
            value("BREAK_ONLY_BEFORE_DATE") or "true",
        ),
        must_break_after=_optional_regex(settings, "MUST_BREAK_AFTER", skipped),
        must_not_break_after=_optional_regex(settings, "MUST_NOT_BREAK_AFTER", skipped),
        must_not_break_before=_optional_regex(settings, "MUST_NOT_BREAK_BEFORE", skipped),
        max_events=_safe(
            skipped,
            "MAX_EVENTS",
            DEFAULT_MAX_EVENTS,
            parse_int,
            value("MAX_EVENTS") or str(DEFAULT_MAX_EVENTS),
        ),
        charset=_safe(skipped, "CHARSET", "utf-8", check_charset, value("CHARSET") or "UTF-8"),
    )
    tz_value = value("TZ")
    default_tz: tzinfo = UTC
    tz = _safe(skipped, "TZ", default_tz, load_timezone, tz_value) if tz_value else default_tz
    datetime_config = (value("DATETIME_CONFIG") or "").strip().upper()
    time_format = None
    if value("TIME_FORMAT") is not None:
        time_format = _safe(skipped, "TIME_FORMAT", None, compile_format, value("TIME_FORMAT"))
    mode = "format" if time_format is not None else "auto"
    if datetime_config in ("CURRENT", "NONE"):
        mode = "current"
    time = TimeConfig(
        mode=mode,
        prefix=_optional_regex(settings, "TIME_PREFIX", skipped),
        format=time_format,
        lookahead=_safe(
            skipped,
            "MAX_TIMESTAMP_LOOKAHEAD",
            DEFAULT_LOOKAHEAD,
            parse_int,
            value("MAX_TIMESTAMP_LOOKAHEAD") or str(DEFAULT_LOOKAHEAD),
        ),
        tz=tz,
        tz_assumed=tz_value is None,
    )
    search = SearchTimeConfig()
    kv_mode = (value("KV_MODE") or "auto").strip().lower()
    search.kv_mode = kv_mode if kv_mode in KV_MODES else "none"
    if kv_mode not in KV_MODES:
        skipped.append("KV_MODE")
    index_transforms: list[tuple[str, list[TransformRule]]] = []
    for key in sorted(settings):
        raw = settings[key].value
        if key.startswith("EXTRACT-"):
            regex_text, in_field = split_extract(raw)
            pattern = _safe(skipped, key, None, compile_regex, regex_text)
            if pattern is not None:
                search.extracts.append((key, pattern, in_field))
        elif key.startswith("REPORT-"):
            search.reports.append((key, _transforms(config, raw, skipped, key)))
        elif key.startswith("TRANSFORMS-"):
            index_transforms.append((key, _transforms(config, raw, skipped, key)))
        elif key.startswith("FIELDALIAS-"):
            no_aliases: list[tuple[str, str, bool]] = []
            aliases = _safe(skipped, key, no_aliases, parse_fieldalias, raw)
            if aliases:
                search.aliases.append((key, aliases))
        elif key.startswith("EVAL-"):
            expression = _safe(skipped, key, None, compile_eval_setting, raw)
            if expression is not None:
                search.evals.append((key[len("EVAL-") :], expression))
    return SourcetypePipeline(
        sourcetype=sourcetype,
        settings=settings,
        breaking=breaking,
        time=time,
        index_transforms=index_transforms,
        search=search,
        skipped=skipped,
    )
