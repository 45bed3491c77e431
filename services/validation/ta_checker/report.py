"""Judging the dynamic run against thresholds, and assembling the results document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .appinspect import AppInspectReport
from .dynamic import SourcetypeRun
from .findings import Finding, Severity, error, warning

PROPS = "default/props.conf"
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Thresholds:
    """The verdict's bars, applied per source type.

    Timestamps must be read from the event on ``timestamp_error_below`` of the events that
    carry one (an event given its arrival time counts as not timestamped). An event carrying
    no timestamp at all takes the previous event's time, as in Splunk; more than
    ``untimed_error_above`` of such events is an error (lines of one event broken apart).
    CIM-required fields must be extracted on ``cim_required_below`` of the events a data
    model applies to when the request requires CIM compliance; without that requirement a
    lower coverage is an error only under ``cim_error_below``.
    """

    timestamp_error_below: float = 0.99
    untimed_error_above: float = 0.05
    cim_required_below: float = 0.95
    cim_error_below: float = 0.5
    cim_warning_below: float = 0.95
    invalid_error_above: float = 0.05


def _time_key(run: SourcetypeRun) -> str:
    prefix_missing = run.outcomes["prefix_not_found"]
    mismatched = run.outcomes["format_mismatch"]
    if prefix_missing > mismatched and "TIME_PREFIX" in run.settings:
        return "TIME_PREFIX"
    return "TIME_FORMAT" if "TIME_FORMAT" in run.settings else "TIME_PREFIX"


def _untimed_findings(name: str, run: SourcetypeRun, thresholds: Thresholds) -> list[Finding]:
    untimed = run.without_own_time
    if not untimed:
        return []
    share = untimed / run.events
    severity = error if share > thresholds.untimed_error_above else warning
    message = (
        f"source type {name}: {untimed} of {run.events} events ({share:.1%}) carry no "
        "timestamp of their own and take the time of the previous event of the same source; "
        "many such events mean that lines of one event were broken apart"
    )
    return [
        severity(
            "dynamic.events_without_time",
            message,
            key="LINE_BREAKER",
            examples=_examples(run.untimed_examples),
            file=PROPS,
            stanza=name,
        )
    ]


def _examples(entries: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(entry.get("_raw", ""))[:300] for entry in entries[:MAX_EXAMPLES])


def _cim_findings(
    name: str, run: SourcetypeRun, thresholds: Thresholds, cim_required: bool
) -> list[Finding]:
    findings: list[Finding] = []
    where = {"file": PROPS, "stanza": name}
    if cim_required and not run.cim.models:
        findings.append(
            error(
                "cim.no_data_model",
                f"source type {name}: CIM compliance is required but no event of its "
                f"{run.events} gets the tags of a CIM data model (0% of events)",
                examples=_examples(run.raw_examples),
                **where,
            )
        )
    error_below = thresholds.cim_required_below if cim_required else thresholds.cim_error_below
    for model_name, stats in sorted(run.cim.models.items()):
        for cim_field in stats.model.required:
            coverage = stats.coverage(cim_field.name)
            found = stats.fields.get(cim_field.name)
            message = (
                f"source type {name}, CIM {model_name}: required field {cim_field.name} is "
                f"extracted on {found.present if found else 0} of {stats.events} events "
                f"({coverage:.1%})"
            )
            examples = _examples(
                [e for e in stats.missing_examples if cim_field.name in e["missing"]]
            )
            if coverage < error_below:
                findings.append(error("cim.required_field", message, examples=examples, **where))
            elif coverage < thresholds.cim_warning_below:
                findings.append(warning("cim.required_field", message, examples=examples, **where))
        for field_name, coverage_stats in sorted(stats.fields.items()):
            if not coverage_stats.invalid:
                continue
            share = stats.invalid_share(field_name)
            rule_field = stats.model.field(field_name)
            examples_text = ", ".join(
                repr(v) for v, _ in coverage_stats.invalid_values.most_common(3)
            )
            message = (
                f"source type {name}, CIM {model_name}: {coverage_stats.invalid} events "
                f"({share:.1%}) have a {field_name} that is not "
                f"{rule_field.rule() if rule_field else 'valid'} (e.g. {examples_text})"
            )
            severity = error if share > thresholds.invalid_error_above else warning
            findings.append(severity("cim.invalid_value", message, **where))
    return findings


def dynamic_findings(
    runs: Mapping[str, SourcetypeRun],
    thresholds: Thresholds,
    declared_eventtypes: Mapping[str, Sequence[str]],
    *,
    cim_required: bool = False,
) -> list[Finding]:
    """Findings from the dynamic run; ``declared_eventtypes`` lists, per source type, the
    event types whose search names it; ``cim_required`` applies the CIM bar of requests
    that require CIM compliance."""
    findings: list[Finding] = []
    for name, run in sorted(runs.items()):
        where = {"file": PROPS, "stanza": name}
        if run.events == 0:
            findings.append(
                error(
                    "dynamic.no_events", "the samples gave no events for this source type", **where
                )
            )
            continue
        if run.time_mode != "index time":
            coverage = run.timestamp_coverage
            message = (
                f"source type {name}: timestamps read from the event on {run.with_timestamp} of "
                f"{run.events - run.without_own_time} events ({coverage:.1%}) that carry one; "
                f"{run.outcomes['prefix_not_found']} without a TIME_PREFIX match, "
                f"{run.outcomes['format_mismatch']} not matching TIME_FORMAT "
                f"{run.settings.get('TIME_FORMAT', '(automatic)')!r}"
            )
            if coverage < thresholds.timestamp_error_below:
                findings.append(
                    error(
                        "dynamic.timestamps",
                        message,
                        key=_time_key(run),
                        examples=_examples(run.timestamp_failures),
                        **where,
                    )
                )
            findings.extend(_untimed_findings(name, run, thresholds))
        else:
            findings.append(
                error(
                    "dynamic.index_time",
                    f"source type {name}: every event gets its arrival time (DATETIME_CONFIG); "
                    f"no timestamp is read from the event (0% of {run.events} events)",
                    key="DATETIME_CONFIG",
                    examples=_examples(run.raw_examples),
                    **where,
                )
            )
        if run.merged / run.events > 1 - thresholds.timestamp_error_below:
            findings.append(
                error(
                    "dynamic.merged_events",
                    f"source type {name}: {run.merged} of {run.events} events "
                    f"({run.merged / run.events:.1%}) hold a later line that starts with its own "
                    "timestamp: separate events were merged (check LINE_BREAKER)",
                    key="LINE_BREAKER",
                    examples=_examples(run.merged_examples),
                    **where,
                )
            )
        if run.truncated:
            findings.append(
                error(
                    "dynamic.truncated",
                    f"{run.truncated} events are longer than TRUNCATE = "
                    f"{run.settings.get('TRUNCATE', '10000')} bytes and lose their end; check "
                    "LINE_BREAKER/TRUNCATE",
                    key="TRUNCATE",
                    **where,
                )
            )
        for field, failures in sorted(run.eval_failures.items()):
            findings.append(
                warning(
                    "dynamic.eval",
                    f"could not be evaluated on {failures} events",
                    key=f"EVAL-{field}",
                    **where,
                )
            )
        findings.extend(_cim_findings(name, run, thresholds, cim_required))
        for eventtype in declared_eventtypes.get(name, ()):
            if run.eventtypes[eventtype]:
                continue
            findings.append(
                warning(
                    "dynamic.eventtype_unmatched",
                    f"event type {eventtype} matched none of this source type's events",
                    file="default/eventtypes.conf",
                    stanza=eventtype,
                )
            )
    return findings


def fields_extracted(runs: Mapping[str, SourcetypeRun]) -> int:
    names: set[str] = set()
    for run in runs.values():
        names |= {name for name, count in run.fields.items() if count}
    return len(names)


def build_results(
    *,
    package: Mapping[str, Any] | None,
    findings: Sequence[Finding],
    appinspect: AppInspectReport | None,
    runs: Mapping[str, SourcetypeRun],
    samples: Mapping[str, Mapping[str, Any]],
    thresholds: Thresholds,
    checker: Mapping[str, str],
) -> dict[str, Any]:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    return {
        "passed": not errors,
        "checker": dict(checker),
        "package": dict(package) if package is not None else None,
        "fields_extracted": fields_extracted(runs),
        "errors": [f.to_dict() for f in errors],
        "warnings": [f.to_dict() for f in warnings],
        "appinspect": appinspect.to_dict() if appinspect else {"ran": False, "problem": "not run"},
        "sourcetypes": {name: run.to_dict() for name, run in sorted(runs.items())},
        "samples": {name: dict(info) for name, info in samples.items()},
        "thresholds": asdict(thresholds),
    }
