"""Mapping a source type's fields onto a CIM data model: FIELDALIAS-, EVAL-, eventtype, tags."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.kernel.splunk_cim import (
    AUTHENTICATION,
    DATA_MODELS,
    NETWORK_TRAFFIC,
    WEB,
    CimField,
    DataModel,
    ValueKind,
)

from .analysis import SampleAnalysis
from .extractions import (
    ASA_BLOCKED_MESSAGE_IDS,
    ASA_CONNECTION_MESSAGE_IDS,
    ConstantField,
    ExtractionPlan,
)
from .formats import FieldStats, LogFormat
from .regex_text import regex_literal

MIN_SOURCE_COVERAGE = 0.2
MIN_VALID_SHARE = 0.9
MIN_WORD_SHARE = 0.95
_SIMPLE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAMED_GROUP = re.compile(r"(?<!\\)\(\?P<\w+>")  # a condition needs no field names


@dataclass(frozen=True)
class EventtypeSpec:
    name: str
    search: str
    tags: tuple[str, ...]
    model: str


@dataclass
class CimPlan:
    model: DataModel
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (class, "a AS b ...")
    evals: list[tuple[str, str]] = field(default_factory=list)  # (field, expression)
    eventtype: EventtypeSpec | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # CIM field -> how it is set
    notes: list[str] = field(default_factory=list)


def eval_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def eval_field(name: str) -> str:
    return name if _SIMPLE_FIELD.match(name) else "'" + name.replace("'", "\\'") + "'"


def _normalise_expression(source: str, cim_field: CimField) -> str:
    ref = eval_field(source)
    branches: list[str] = []
    for allowed in cim_field.allowed:
        words = [allowed.lower(), *cim_field.synonyms.get(allowed, ())]
        unique = sorted(set(words))
        pattern = "^(" + "|".join(regex_literal(w) for w in unique) + ")$"
        branches.append(f"match(lower({ref}), {eval_string(pattern)}), {eval_string(allowed)}")
    branches.append(f"true(), {ref}")
    return "case(" + ", ".join(branches) + ")"


def _eventtype(
    slug: str, sourcetype: str, model: DataModel, restriction: str = ""
) -> EventtypeSpec:
    search = f'sourcetype="{sourcetype}"'
    if restriction:
        search += f" {restriction}"
    return EventtypeSpec(f"{slug}_{model.name.lower()}", search, model.tags, model.name)


def _vendor_product(plan: CimPlan, vendor_product: str) -> None:
    plan.evals.append(("vendor_product", eval_string(vendor_product)))


def _constants(plan: CimPlan, constants: Sequence[ConstantField]) -> None:
    """EVAL-<field> giving each constant on the events its messages match; other events keep
    what the field had (from an extraction or another calculated field), else none."""
    for constant in constants:
        earlier = [expr for name, expr in plan.evals if name == constant.field]
        otherwise = earlier[-1] if earlier else eval_field(constant.field)
        condition = " OR ".join(
            f"match(_raw, {eval_string(_NAMED_GROUP.sub('(?:', regex))})"
            for regex in constant.regexes
        )
        plan.evals = [(name, expr) for name, expr in plan.evals if name != constant.field]
        plan.evals.append(
            (constant.field, f"if({condition}, {eval_string(constant.value)}, {otherwise})")
        )
        plan.mapping[constant.field] = f"constant {constant.value!r} on the messages meaning it"


def _apache_access(analysis: SampleAnalysis, slug: str, sourcetype: str) -> CimPlan:
    plan = CimPlan(WEB)
    plan.aliases.append(("cim_web", "clientip AS src method AS http_method uri AS url"))
    if analysis.combined_log:
        plan.aliases.append(
            ("cim_web_headers", "referer AS http_referrer useragent AS http_user_agent")
        )
    plan.evals.append(("bytes", "if(isnull(bytes) AND isnotnull(status), 0, bytes)"))
    plan.evals.append(("user", 'if(user=="-", null(), user)'))
    plan.mapping = {
        "src": "clientip",
        "http_method": "method",
        "url": "uri",
        "uri_path": "uri_path",
        "status": "status",
        "bytes": "bytes ('-' as 0)",
    }
    plan.eventtype = _eventtype(slug, sourcetype, WEB)
    return plan


def _cisco_asa(slug: str, sourcetype: str) -> CimPlan:
    plan = CimPlan(NETWORK_TRAFFIC)
    built = 'message_id=="302013" OR message_id=="302015"'
    teardown = 'message_id=="302014" OR message_id=="302016"'
    denied = " OR ".join(f'message_id=="{m}"' for m in ASA_BLOCKED_MESSAGE_IDS)
    plan.evals = [
        (
            "action",
            f'case({built}, "allowed", {teardown}, "teardown", {denied}, "blocked", '
            'message_id=="106100" AND (acl_action=="permitted" OR acl_action=="est-allowed"), '
            '"allowed", '
            'message_id=="106100", "blocked")',
        ),
        ("src", 'coalesce(src_ip, if(direction=="inbound", for_ip, to_ip))'),
        ("dest", 'coalesce(dest_ip, if(direction=="inbound", to_ip, for_ip))'),
        ("src_port", 'coalesce(src_port, if(direction=="inbound", for_port, to_port))'),
        ("dest_port", 'coalesce(dest_port, if(direction=="inbound", to_port, for_port))'),
        ("transport", "lower(protocol)"),
    ]
    plan.mapping = {
        "action": "message_id (and acl_action)",
        "src": "src_ip or the connection's initiator",
        "dest": "dest_ip or the connection's responder",
        "dest_port": "dest_port or responder port",
        "transport": "protocol (lower case)",
    }
    restriction = "(" + " OR ".join(f"message_id={m}" for m in ASA_CONNECTION_MESSAGE_IDS) + ")"
    plan.eventtype = _eventtype(slug, sourcetype, NETWORK_TRAFFIC, restriction)
    return plan


def _syslog_auth(slug: str, sourcetype: str) -> CimPlan:
    plan = CimPlan(AUTHENTICATION)
    plan.aliases.append(("cim_auth", "src_ip AS src syslog_host AS dest process AS app"))
    plan.evals.append(
        (
            "action",
            'case(auth_outcome=="Accepted", "success", isnotnull(auth_outcome), "failure")',
        )
    )
    # PAM names the user in user= when known, else only the remote user it was given. A
    # failure for a name the system does not know (pam_unix leaves user= out, sshd logs
    # "Invalid user  from" for an empty name) is still an authentication attempt: the CIM
    # gives a required field the event does not carry the value "unknown".
    plan.evals.append(
        ("user", 'coalesce(if(user=="", null(), user), if(ruser=="", null(), ruser), "unknown")')
    )
    plan.mapping = {
        "action": "auth_outcome",
        "user": 'user, else ruser, else "unknown"',
        "src": "src_ip",
        "dest": "syslog_host",
        "app": "process",
    }
    plan.eventtype = _eventtype(slug, sourcetype, AUTHENTICATION, "auth_outcome=*")
    return plan


@dataclass
class _FieldChoice:
    cim: CimField
    source: str
    normalise: bool
    path_of_url: bool = False


def _observed_names(stats: FieldStats) -> dict[str, str]:
    names: dict[str, str] = {}
    leaves: dict[str, list[str]] = {}
    for name in sorted(stats.counts):
        names.setdefault(name.lower(), name)
        leaf = name.rsplit(".", 1)[-1].replace("{}", "").lower()
        leaves.setdefault(leaf, []).append(name)
    for leaf, full in leaves.items():
        if len(full) == 1:
            names.setdefault(leaf, full[0])
    return names


def _valid_share(stats: FieldStats, source: str, cim_field: CimField, normalise: bool) -> float:
    tally = stats.values.get(source)
    if not tally:
        return 0.0
    total = sum(tally.values())
    valid = 0
    for value, count in tally.items():
        candidate = cim_field.normalise(value) if normalise else value
        if candidate is not None and cim_field.is_valid(candidate):
            valid += count
    return valid / total


def _choose(
    stats: FieldStats, cim_field: CimField, observed: dict[str, str]
) -> _FieldChoice | None:
    for candidate in (cim_field.name, *cim_field.source_names):
        source = observed.get(candidate)
        if source is None or stats.coverage(source) < MIN_SOURCE_COVERAGE:
            continue
        if _valid_share(stats, source, cim_field, normalise=False) >= MIN_VALID_SHARE:
            return _FieldChoice(cim_field, source, normalise=False)
        if (
            cim_field.kind is ValueKind.ENUM
            and _valid_share(stats, source, cim_field, normalise=True) >= MIN_VALID_SHARE
        ):
            return _FieldChoice(cim_field, source, normalise=True)
    return None


def _generic_choices(stats: FieldStats, model: DataModel) -> dict[str, _FieldChoice]:
    observed = _observed_names(stats)
    choices: dict[str, _FieldChoice] = {}
    for cim_field in model.fields:
        choice = _choose(stats, cim_field, observed)
        if choice is not None:
            choices[cim_field.name] = choice
    web_path = model.field("uri_path")
    if model is WEB and "uri_path" not in choices and "url" in choices and web_path:
        choices["uri_path"] = _FieldChoice(
            web_path, choices["url"].source, normalise=False, path_of_url=True
        )
    return choices


def _word_pattern(words: Sequence[str]) -> str:
    return "(?i)\\b(" + "|".join(regex_literal(w) for w in sorted(set(words))) + ")\\b"


def _value_words(cim_field: CimField) -> list[tuple[str, str]]:
    """(allowed value, regex of the words meaning it) for an enumerated field."""
    return [
        (allowed, _word_pattern([allowed, *cim_field.synonyms.get(allowed, ())]))
        for allowed in cim_field.allowed
    ]


def _from_words(cim_field: CimField, events: Sequence[str]) -> str | None:
    """An EVAL reading an enumerated field from the words of the event (``[UFW BLOCK]``,
    ``IPTABLES-DROP``) when no field carries it but nearly every event names a value."""
    if cim_field.kind is not ValueKind.ENUM or not events:
        return None
    compiled = [(allowed, re.compile(pattern)) for allowed, pattern in _value_words(cim_field)]
    named = sum(1 for event in events if any(regex.search(event) for _, regex in compiled))
    if named / len(events) < MIN_WORD_SHARE:
        return None
    branches = [
        f"match(_raw, {eval_string(pattern)}), {eval_string(allowed)}"
        for allowed, pattern in _value_words(cim_field)
    ]
    return "case(" + ", ".join(branches) + ")"


def _generic(
    stats: FieldStats, events: Sequence[str], slug: str, sourcetype: str, product: str
) -> tuple[CimPlan | None, list[str]]:
    notes: list[str] = []
    best: tuple[int, DataModel, dict[str, _FieldChoice]] | None = None
    worded: dict[str, dict[str, str]] = {}
    for model in DATA_MODELS.values():
        choices = _generic_choices(stats, model)
        if not all(name in choices for name in model.distinctive):
            continue
        words = worded.setdefault(model.name, {})
        for cim_field in model.required:
            if cim_field.name not in choices:
                expression = _from_words(cim_field, events)
                if expression is not None:
                    words[cim_field.name] = expression
        missing = [
            f.name
            for f in model.required
            if f.name not in choices
            and f.name not in model.constant_fields
            and f.name not in model.host_fields
            and f.name not in words
        ]
        if missing:
            notes.append(
                f"{sourcetype}: looks like {model.name} data but has no field for "
                + ", ".join(missing)
            )
            continue
        if best is None or len(choices) > best[0]:
            best = (len(choices), model, choices)
    if best is None:
        return None, notes
    _, model, choices = best
    plan = CimPlan(model)
    alias_pairs: list[str] = []
    for cim_field in model.fields:
        choice = choices.get(cim_field.name)
        if choice is None and cim_field.name in worded.get(model.name, {}):
            plan.evals.append((cim_field.name, worded[model.name][cim_field.name]))
            plan.mapping[cim_field.name] = "words of the event"
            continue
        if choice is None:
            if cim_field.required and cim_field.name in model.constant_fields:
                plan.evals.append((cim_field.name, eval_string(product)))
                plan.mapping[cim_field.name] = f"constant {product!r}"
            elif cim_field.required and cim_field.name in model.host_fields:
                plan.evals.append((cim_field.name, "host"))
                plan.mapping[cim_field.name] = "host (the system writing the log)"
            continue
        source = choice.source
        if choice.path_of_url:
            plan.evals.append(
                (
                    cim_field.name,
                    "mvindex(split(replace("
                    + eval_field(source)
                    + ', "^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", ""), "?"), 0)',
                )
            )
            plan.mapping[cim_field.name] = f"path of {source}"
        elif choice.normalise:
            plan.evals.append((cim_field.name, _normalise_expression(source, cim_field)))
            plan.mapping[cim_field.name] = f"{source} (normalised)"
        elif source != cim_field.name:
            alias_pairs.append(f"{_alias_name(source)} AS {cim_field.name}")
            plan.mapping[cim_field.name] = source
        else:
            plan.mapping[cim_field.name] = source
    if alias_pairs:
        plan.aliases.append((f"cim_{model.name.lower()}", " ".join(alias_pairs)))
    # The model applies to the events that carry its distinctive fields.
    restriction = " ".join(
        f"{_alias_name(choices[name].source)}=*"
        for name in model.distinctive
        if stats.coverage(choices[name].source) < 0.99
    )
    plan.eventtype = _eventtype(slug, sourcetype, model, restriction)
    return plan, notes


def _alias_name(name: str) -> str:
    return name if re.fullmatch(r"[^\s\"']+", name) else '"' + name.replace('"', '\\"') + '"'


def plan_cim(
    analysis: SampleAnalysis,
    extraction: ExtractionPlan,
    *,
    slug: str,
    sourcetype: str,
    vendor_product: str,
    product: str,
) -> tuple[CimPlan | None, list[str]]:
    """The CIM mapping for a source type, or None with notes saying why there is none."""
    fmt = analysis.format
    plan: CimPlan | None
    notes: list[str] = []
    if fmt is LogFormat.APACHE_ACCESS:
        plan = _apache_access(analysis, slug, sourcetype)
    elif fmt is LogFormat.CISCO_ASA:
        connection_events = sum(
            count
            for mid, count in analysis.asa_message_ids.items()
            if mid in ASA_CONNECTION_MESSAGE_IDS
        )
        plan = _cisco_asa(slug, sourcetype) if connection_events else None
        if plan is None:
            notes.append(f"{sourcetype}: no connection events (302013-302016, 1060xx) found")
    elif fmt is LogFormat.SYSLOG and analysis.auth_events:
        plan = _syslog_auth(slug, sourcetype)
    elif fmt is LogFormat.APACHE_ERROR:
        plan = None
    elif extraction.fields.counts:
        plan, notes = _generic(extraction.fields, analysis.events, slug, sourcetype, product)
    else:
        plan = None
    if plan is not None:
        _constants(plan, extraction.constants)
        _vendor_product(plan, vendor_product)
    elif not notes:
        notes.append(f"{sourcetype}: no CIM data model fits these events")
    return plan, notes


def required_field_names(model: DataModel) -> Sequence[str]:
    return [f.name for f in model.required]
