"""The TA checker: a TA package and log samples in, a results document and debug bundle out."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .appinspect import DEFAULT_TIMEOUT, AppInspectReport, RunningAppInspect, start_appinspect
from .archive import TAPackage, open_package
from .assignment import assign_sourcetypes
from .debug_bundle import build_debug_bundle
from .dynamic import SampleProcessor, SourcetypeRun, run_sample
from .errors import ArchiveError, SampleReadError
from .findings import Finding, error, warning
from .report import Thresholds, build_results, dynamic_findings
from .static_checks import load_eventtypes, load_tags, static_findings
from .ta_config import load_config

CHECKER_NAME = "tagen-ta-checker"
CHECKER_VERSION = "1.0.0"


@dataclass(frozen=True)
class CheckOptions:
    run_appinspect: bool = True
    appinspect_executable: str | None = None
    appinspect_timeout: float = DEFAULT_TIMEOUT
    sourcetype_for: Mapping[str, str] = field(default_factory=dict)
    max_events_per_sample: int | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    reference_time: datetime | None = None
    debug_events: int = 50
    cim_required: bool = False
    """The request requires the Splunk Common Information Model (thresholds may use it)."""


@dataclass(frozen=True)
class CheckResult:
    results: dict[str, Any]
    debug_bundle: bytes

    @property
    def passed(self) -> bool:
        return bool(self.results["passed"])


def _package_info(package: TAPackage) -> dict[str, Any]:
    return {
        "app": package.app_name,
        "sha256": package.sha256,
        "bytes": package.size,
        "files": list(package.files),
    }


def _declared_eventtypes(
    eventtypes: Sequence[tuple[str, Any]], sourcetypes: Sequence[str]
) -> dict[str, list[str]]:
    declared: dict[str, list[str]] = {}
    for name, search in eventtypes:
        for sourcetype in sourcetypes:
            if "sourcetype" in search.fields and sourcetype in search.source:
                declared.setdefault(sourcetype, []).append(name)
    return declared


def check_ta(
    package: Path | bytes,
    samples: Sequence[Any],
    options: CheckOptions | None = None,
) -> CheckResult:
    """Check a TA package against log samples (``LogSample``s, or anything with ``name``
    and ``open()``); problems are reported in the results, never raised."""
    options = options or CheckOptions()
    reference = options.reference_time or datetime.now(UTC)
    checker = {"name": CHECKER_NAME, "version": CHECKER_VERSION}
    with tempfile.TemporaryDirectory(prefix="ta-check-") as scratch:
        workdir = Path(scratch)
        if isinstance(package, bytes):
            package_path = workdir / "package.tgz"
            package_path.write_bytes(package)
        else:
            # Absolute: splunk-appinspect runs in the scratch directory, not the caller's.
            package_path = Path(package).resolve()
        findings: list[Finding] = []
        try:
            extracted = open_package(package_path, workdir / "extracted")
        except ArchiveError as exc:
            findings.append(
                error(f"archive.{type(exc).__name__}", str(exc), file=package_path.name)
            )
            results = build_results(
                package=None,
                findings=findings,
                appinspect=AppInspectReport(ran=False, problem="not run: the package is unusable"),
                runs={},
                samples={},
                thresholds=options.thresholds,
                checker=checker,
            )
            return CheckResult(results, build_debug_bundle(results, None, None, {}))
        except OSError as exc:
            findings.append(
                error(
                    "archive.unreadable", f"cannot read the package: {exc}", file=package_path.name
                )
            )
            results = build_results(
                package=None,
                findings=findings,
                appinspect=None,
                runs={},
                samples={},
                thresholds=options.thresholds,
                checker=checker,
            )
            return CheckResult(results, build_debug_bundle(results, None, None, {}))

        # splunk-appinspect is an independent process on the same package: started first and
        # collected last, it runs while the checker does its own checks.
        appinspect: RunningAppInspect | None = None
        if options.run_appinspect:
            appinspect = start_appinspect(
                package_path,
                workdir,
                executable=options.appinspect_executable,
                timeout=options.appinspect_timeout,
            )
        try:
            config = load_config(extracted)
            findings.extend(static_findings(config))
            eventtypes, _ = load_eventtypes(config)
            tags, _ = load_tags(config)
            runs, sample_info, sample_findings = _dynamic(
                config, samples, options, eventtypes, tags, reference
            )
            findings.extend(sample_findings)
            findings.extend(
                dynamic_findings(
                    runs,
                    options.thresholds,
                    _declared_eventtypes(eventtypes, config.sourcetypes()),
                    cim_required=options.cim_required,
                )
            )
            report = appinspect.collect() if appinspect is not None else None
        finally:
            if appinspect is not None:
                appinspect.abandon()  # still running only when a check above raised
        findings.extend(_appinspect_findings(report, options))
        results = build_results(
            package=_package_info(extracted),
            findings=findings,
            appinspect=report,
            runs=runs,
            samples=sample_info,
            thresholds=options.thresholds,
            checker=checker,
        )
        bundle = build_debug_bundle(results, extracted, report, runs)
    return CheckResult(results, bundle)


def _appinspect_findings(report: AppInspectReport | None, options: CheckOptions) -> list[Finding]:
    if report is None:
        return [warning("appinspect.skipped", "splunk-appinspect was not run (disabled)")]
    findings: list[Finding] = []
    if not report.ran:
        findings.append(
            error("appinspect.not_run", f"splunk-appinspect did not run: {report.problem}")
        )
        return findings
    if report.problem:
        findings.append(error("appinspect.problem", report.problem))
    for failure in report.failures:
        messages = failure["messages"] or [{"message": failure.get("description", "")}]
        for message in messages:
            findings.append(
                error(
                    f"appinspect.{failure['result']}",
                    f"{failure['check']}: {message.get('message', '')}",
                    file=message.get("file"),
                    line=message.get("line"),
                )
            )
    for entry in report.warnings:
        for message in entry["messages"][:3]:
            findings.append(
                warning(
                    "appinspect.warning",
                    f"{entry['check']}: {message.get('message', '')}",
                    file=message.get("file"),
                    line=message.get("line"),
                )
            )
    return findings


def _dynamic(
    config: Any,
    samples: Sequence[Any],
    options: CheckOptions,
    eventtypes: list[Any],
    tags: Any,
    reference: datetime,
) -> tuple[dict[str, SourcetypeRun], dict[str, dict[str, Any]], list[Finding]]:
    findings: list[Finding] = []
    runs: dict[str, SourcetypeRun] = {}
    info: dict[str, dict[str, Any]] = {}
    if not samples:
        findings.append(error("samples.none", "no log samples were given to check against"))
        return runs, info, findings
    try:
        assignments = assign_sourcetypes(
            config, samples, options.sourcetype_for, eventtypes, tags, reference
        )
    except SampleReadError as exc:
        findings.append(error("samples.unreadable", str(exc)))
        return runs, info, findings
    known = set(config.sourcetypes())
    for sample in samples:
        assignment = assignments[sample.name]
        info[sample.name] = {"sourcetype": assignment.sourcetype, "assigned_by": assignment.method}
        if assignment.scores:
            info[sample.name]["scores"] = dict(assignment.scores)
        if assignment.sourcetype is None:
            continue
        if assignment.sourcetype not in known:
            findings.append(
                error(
                    "samples.sourcetype",
                    f"sample {sample.name} was assigned source type {assignment.sourcetype}, which "
                    "props.conf does not define",
                )
            )
            continue
        run = runs.setdefault(assignment.sourcetype, SourcetypeRun(assignment.sourcetype))
        try:
            processor = SampleProcessor(
                config, assignment.sourcetype, sample, eventtypes, tags, reference
            )
            count = run_sample(
                run,
                processor,
                limit=options.max_events_per_sample,
                keep_events=options.debug_events,
            )
        except (SampleReadError, OSError) as exc:
            findings.append(error("samples.unreadable", f"sample {sample.name}: {exc}"))
            continue
        info[sample.name]["events"] = count
        run.samples.append({"name": sample.name, "events": count, "assigned_by": assignment.method})
    return runs, info, findings
