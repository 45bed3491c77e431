"""The TA generator: log samples in, a deterministic TA package and its description out."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .analysis import AnalysisOptions, SampleAnalysis, analyse_sample
from .cim_mapping import plan_cim
from .conf_render import SourcetypeDraft, config_summary, render_files
from .errors import InvalidVersionError, NoSamplesError
from .extractions import plan_extractions
from .formats import FORMAT_KIND, FieldStats, LogFormat
from .package import build_tgz
from .samples import Sample, WindowLimits
from .sourcetype import WELL_KNOWN_SOURCETYPES, SourceSystem, parse_source_system, slug
from .vendor_messages import vendor

GENERATOR_NAME = "tagen-ta-builder"
GENERATOR_VERSION = "1.0.0"
MAX_MERGED_EVENTS = 5000
_VERSION = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")


@dataclass(frozen=True)
class BuildOptions:
    source_system: str
    cim: bool = True
    version: str = "1.0.0"
    timezone: str | None = None
    allow_no_timestamp: bool = False
    limits: WindowLimits = field(default_factory=WindowLimits)
    preferred_sourcetypes: tuple[str, ...] = ()
    """Source type names of a reference TA of the same product: a generated source type of
    a kind one of them names (e.g. "access" in "apache:access") takes that name."""


@dataclass(frozen=True)
class BuildResult:
    app_id: str
    version: str
    package: bytes
    config_summary: dict[str, Any]
    generation_metadata: dict[str, Any]
    files: dict[str, str]

    @property
    def package_name(self) -> str:
        return f"{self.app_id}-{self.version}.tgz"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.package).hexdigest()


def _merge(analyses: Sequence[SampleAnalysis]) -> SampleAnalysis:
    """One analysis standing for several samples of the same shape."""
    primary = analyses[0]
    if len(analyses) == 1:
        return primary
    fields = FieldStats()
    events: list[str] = []
    asa: Counter[str] = Counter()
    for analysis in analyses:
        fields.merge(analysis.fields)
        events.extend(analysis.events[: MAX_MERGED_EVENTS // len(analyses)])
        asa.update(analysis.asa_message_ids)
    return dataclasses.replace(
        primary,
        events=events,
        fields=fields,
        max_event_bytes=max(a.max_event_bytes for a in analyses),
        combined_log=any(a.combined_log for a in analyses),
        body_kv=any(a.body_kv for a in analyses),
        log_levels=any(a.log_levels for a in analyses),
        colon_kv=any(a.colon_kv for a in analyses),
        auth_events=sum(a.auth_events for a in analyses),
        asa_message_ids=asa,
        vendors=sorted({key for a in analyses for key in a.vendors}),
    )


def _group(analyses: Sequence[SampleAnalysis]) -> list[list[SampleAnalysis]]:
    groups: dict[tuple[object, ...], list[SampleAnalysis]] = {}
    for analysis in analyses:
        groups.setdefault(analysis.signature(), []).append(analysis)
    return list(groups.values())


def _preferred_name(names: Sequence[str], kind: str) -> str | None:
    """The first of `names` (source types of a reference TA) whose parts include `kind`."""
    return next((n for n in names if kind in re.split(r"[:_.\-]", n.lower())), None)


def _recognised_as(analysis: SampleAnalysis) -> str | None:
    """What well-known data the events are, if any (a key of WELL_KNOWN_SOURCETYPES)."""
    match analysis.format:
        case LogFormat.APACHE_ACCESS:
            return "ncsa_combined" if analysis.combined_log else "ncsa_common"
        case LogFormat.APACHE_ERROR:
            return "apache_error"
        case LogFormat.CISCO_ASA:
            return "cisco_asa"
        case LogFormat.SYSLOG if analysis.auth_events:
            return "syslog_auth"
    return None


def _well_known_name(analysis: SampleAnalysis) -> str | None:
    """Splunk's name for the recognised data (format or product messages), if it has one."""
    known = WELL_KNOWN_SOURCETYPES.get(_recognised_as(analysis) or "")
    products = (vendor(key).sourcetype for key in analysis.vendors)
    return known or next((name for name in products if name), None)


def _drafts(
    groups: Sequence[Sequence[SampleAnalysis]], system: SourceSystem, options: BuildOptions
) -> list[SourcetypeDraft]:
    drafts: list[SourcetypeDraft] = []
    kinds: Counter[str] = Counter()
    for group in groups:
        kind = FORMAT_KIND[group[0].format]
        kinds[kind] += 1
        merged = _merge(group)
        # The well-known name only once: a second group of the same kind is named by
        # vendor:product:kindN.
        name = _well_known_name(merged) if kinds[kind] == 1 else None
        if kinds[kind] > 1:
            kind = f"{kind}{kinds[kind]}"
        # A reference TA's name wins, then Splunk's well-known name, then vendor:product:kind.
        preferred = _preferred_name(options.preferred_sourcetypes, kind)
        name = preferred or name or system.sourcetype(kind)
        name_slug = slug(name)
        extraction = plan_extractions(merged, name_slug)
        cim_plan = None
        notes: list[str] = []
        if options.cim:
            cim_plan, notes = plan_cim(
                merged,
                extraction,
                slug=name_slug,
                sourcetype=name,
                vendor_product=system.name,
                product=system.product,
            )
        drafts.append(SourcetypeDraft(name, name_slug, list(group), extraction, cim_plan, notes))
    return drafts


def _sourcetype_metadata(draft: SourcetypeDraft) -> dict[str, Any]:
    analysis = draft.primary
    stamp = analysis.timestamp
    fields = draft.extraction.fields
    return {
        "format": analysis.format.value,
        "format_shares": dict(analysis.shares),
        "confidence": min(a.confidence for a in draft.analyses),
        "samples": [
            {
                "name": a.name,
                "bytes": a.total_bytes,
                "analysed_bytes": a.analysed_bytes,
                "events_analysed": len(a.events),
                "charset": a.charset,
                "confidence": a.confidence,
            }
            for a in draft.analyses
        ],
        "event_breaking": {
            "multiline": analysis.breaking.multiline,
            "line_breaker": analysis.breaking.line_breaker,
            "reason": analysis.breaking.reason,
            "max_event_bytes": max(a.max_event_bytes for a in draft.analyses),
        },
        "timestamp": None
        if stamp is None
        else {
            "layout": stamp.settings.layout,
            "time_prefix": stamp.prefix,
            "time_format": stamp.settings.time_format,
            "max_timestamp_lookahead": stamp.lookahead,
            "timezone": stamp.settings.timezone,
            "where": stamp.description,
            "coverage": round(stamp.coverage, 4),
        },
        "kv_mode": draft.extraction.kv_mode,
        "fields": {name: round(fields.coverage(name), 4) for name in sorted(fields.counts)},
        "data_model": None
        if draft.cim is None
        else {
            "name": draft.cim.model.name,
            "eventtype": draft.cim.eventtype.name if draft.cim.eventtype else None,
            "tags": list(draft.cim.model.tags),
            "mapping": dict(sorted(draft.cim.mapping.items())),
        },
    }


def build_ta(samples: Sequence[Sample], options: BuildOptions) -> BuildResult:
    """Analyse the samples and generate the TA package with its summary and metadata."""
    if not _VERSION.match(options.version):
        raise InvalidVersionError(
            f"version {options.version!r} is not a MAJOR.MINOR.PATCH semantic version"
        )
    system = parse_source_system(options.source_system)
    if not samples:
        raise NoSamplesError("no log samples were given")
    ordered = sorted(enumerate(samples), key=lambda item: (item[1].name, item[0]))
    analysis_options = AnalysisOptions(
        limits=options.limits,
        default_timezone=options.timezone,
        allow_no_timestamp=options.allow_no_timestamp,
    )
    analyses = [analyse_sample(sample, analysis_options) for _, sample in ordered]
    drafts = _drafts(_group(analyses), system, options)
    generator = f"{GENERATOR_NAME} {GENERATOR_VERSION}"
    files = render_files(drafts, system, options.version, generator)
    package = build_tgz(system.app_id, {path: text.encode("utf-8") for path, text in files.items()})
    warnings = [w for a in analyses for w in a.warnings] + [n for d in drafts for n in d.notes]
    metadata: dict[str, Any] = {
        "generator": {"name": GENERATOR_NAME, "version": GENERATOR_VERSION},
        "app": {"id": system.app_id, "label": system.label, "version": options.version},
        "source_system": {
            "name": system.name,
            "vendor": system.vendor,
            "product": system.product,
        },
        "cim_required": options.cim,
        "confidence": min(a.confidence for a in analyses),
        "sourcetypes": {d.name: _sourcetype_metadata(d) for d in drafts},
        # Source types whose events get their arrival time (no timestamp was found): such a
        # TA is flagged here and fails the checker's verdict.
        "arrival_time": [d.name for d in drafts if d.primary.timestamp is None],
        "warnings": warnings,
    }
    return BuildResult(
        app_id=system.app_id,
        version=options.version,
        package=package,
        config_summary=config_summary(drafts, system),
        generation_metadata=metadata,
        files=files,
    )
