"""``tagen ta build`` and ``tagen ta check``: the TA engine on the command line.

Exit codes: 0 success (check: the TA passed), 1 the TA failed the check, 2 the inputs
could not be used (bad samples, missing files, invalid options).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from services.requests.ta_builder import BuildOptions, BuildResult, Sample, TABuildError, build_ta
from services.validation.ta_checker import CheckOptions, LogSample, check_ta

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


def _print_conf_block(out: TextIO, filename: str, stanzas: dict[str, dict[str, str]]) -> None:
    if not stanzas:
        return
    out.write(f"  {filename}\n")
    for stanza, settings in stanzas.items():
        out.write(f"    [{stanza}]\n")
        for key, value in settings.items():
            out.write(f"    {key} = {value}\n")


def print_build_summary(result: BuildResult, out: TextIO) -> None:
    metadata = result.generation_metadata
    summary = result.config_summary
    out.write(f"{result.app_id} {result.version} (sha256 {result.sha256})\n")
    for sourcetype, files in summary["sourcetypes"].items():
        details = metadata["sourcetypes"][sourcetype]
        model = details["data_model"]["name"] if details["data_model"] else "none"
        out.write(
            f"\nsource type {sourcetype}: format {details['format']}, "
            f"confidence {details['confidence']:.2f}, CIM {model}\n"
        )
        for filename in (
            "inputs.conf",
            "props.conf",
            "transforms.conf",
            "eventtypes.conf",
            "tags.conf",
        ):
            _print_conf_block(out, filename, files[filename])
    if metadata["warnings"]:
        out.write("\nwarnings:\n")
        for line in metadata["warnings"]:
            out.write(f"  - {line}\n")


def _build(args: argparse.Namespace) -> int:
    missing = [path for path in args.samples if not Path(path).is_file()]
    if missing:
        print(f"error: sample not found: {', '.join(missing)}", file=sys.stderr)
        return EXIT_UNUSABLE
    options = BuildOptions(
        source_system=args.source_system,
        cim=not args.no_cim,
        version=args.ta_version,
        timezone=args.timezone,
        allow_no_timestamp=args.allow_no_timestamp,
    )
    try:
        result = build_ta([Sample.from_path(path) for path in args.samples], options)
    except TABuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    out_path = Path(args.out)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(result.package)
    except OSError as exc:
        print(f"error: cannot write {out_path}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.json:
        document = {
            "package": str(out_path),
            "sha256": result.sha256,
            "config_summary": result.config_summary,
            "generation_metadata": result.generation_metadata,
        }
        print(json.dumps(document, indent=2))
    else:
        print(f"wrote {out_path}")
        print_build_summary(result, sys.stdout)
    return EXIT_OK


def print_check_summary(results: dict[str, Any], out: TextIO) -> None:
    verdict = "PASSED" if results["passed"] else "FAILED"
    package = results.get("package") or {}
    out.write(
        f"{package.get('app', 'package')}: {verdict} ({len(results['errors'])} errors, "
        f"{len(results['warnings'])} warnings, {results['fields_extracted']} fields extracted)\n"
    )
    appinspect = results["appinspect"]
    if appinspect.get("ran"):
        summary = appinspect.get("summary", {})
        out.write(
            f"appinspect {appinspect.get('version')} precert: {summary.get('failure', 0)} "
            f"failures, {summary.get('error', 0)} errors, {summary.get('warning', 0)} warnings\n"
        )
    else:
        out.write(f"appinspect: not run ({appinspect.get('problem')})\n")
    for name, run in results["sourcetypes"].items():
        out.write(
            f"source type {name}: {run['events']} events, "
            f"{run['timestamp_coverage']:.1%} with a timestamp, {len(run['fields'])} fields\n"
        )
        for model, stats in run["cim"].items():
            coverage = ", ".join(
                f"{field} {info['coverage']:.1%}"
                for field, info in stats["required_fields"].items()
            )
            out.write(f"  CIM {model}: {stats['events']} events; {coverage}\n")
    for title, entries in (("errors", results["errors"]), ("warnings", results["warnings"])):
        if entries:
            out.write(f"{title}:\n")
            for entry in entries:
                out.write(f"  - {entry['message']}\n")
                for example in entry.get("examples", ()):
                    out.write(f"      e.g. {example[:200]}\n")


def _parse_assignments(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        sample, sep, sourcetype = value.partition("=")
        if not sep or not sample or not sourcetype:
            raise ValueError(f"--sourcetype {value!r} must be SAMPLE_NAME=SOURCETYPE")
        out[Path(sample).name] = sourcetype
    return out


def _check(args: argparse.Namespace) -> int:
    package = Path(args.package).resolve()
    missing = [p for p in (args.package, *args.samples) if not Path(p).is_file()]
    if missing:
        print(f"error: file not found: {', '.join(missing)}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        assignments = _parse_assignments(args.sourcetype)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    options = CheckOptions(
        run_appinspect=not args.skip_appinspect,
        appinspect_executable=args.appinspect,
        sourcetype_for=assignments,
        max_events_per_sample=args.max_events,
        cim_required=args.cim_required,
    )
    result = check_ta(package, [LogSample.from_path(p) for p in args.samples], options)
    if args.debug_bundle:
        bundle_path = Path(args.debug_bundle)
        try:
            bundle_path.parent.mkdir(parents=True, exist_ok=True)
            bundle_path.write_bytes(result.debug_bundle)
        except OSError as exc:
            print(f"error: cannot write {bundle_path}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
    if args.json:
        print(json.dumps(result.results, indent=2))
    else:
        print_check_summary(result.results, sys.stdout)
    return EXIT_OK if result.passed else EXIT_FAILED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ta build`` and ``ta check``; each sets ``func(args) -> exit code``."""
    ta = subparsers.add_parser("ta", help="build and check Splunk Technology Add-ons")
    commands = ta.add_subparsers(dest="ta_command", metavar="{build,check}")
    commands.required = True

    build = commands.add_parser("build", help="generate a TA package from log samples")
    build.add_argument(
        "--source-system",
        required=True,
        help='source system, e.g. "Cisco ASA" or "Acme:Billing API"',
    )
    build.add_argument(
        "--no-cim", action="store_true", help="do not map fields to a CIM data model"
    )
    build.add_argument("--out", required=True, help="path of the .tgz package to write")
    build.add_argument(
        "--version",
        dest="ta_version",
        default="1.0.0",
        help="TA version (MAJOR.MINOR.PATCH, default 1.0.0)",
    )
    build.add_argument(
        "--timezone", default=None, help="TZ for timestamps without a time zone (default UTC)"
    )
    build.add_argument(
        "--allow-no-timestamp",
        action="store_true",
        help="build even if events carry no timestamp (index time is used)",
    )
    build.add_argument(
        "--json", action="store_true", help="print the summary and generation metadata as JSON"
    )
    build.add_argument("samples", nargs="+", metavar="SAMPLE", help="log sample files")
    build.set_defaults(func=_build)

    check = commands.add_parser("check", help="check a TA package against log samples")
    check.add_argument("package", metavar="TA.tgz", help="the TA package")
    check.add_argument("samples", nargs="+", metavar="SAMPLE", help="log sample files")
    check.add_argument("--json", action="store_true", help="print the results document")
    check.add_argument("--debug-bundle", metavar="PATH", help="write the debug bundle (.zip)")
    check.add_argument(
        "--sourcetype",
        action="append",
        default=[],
        metavar="SAMPLE=SOURCETYPE",
        help="assign a sample to a source type (repeatable)",
    )
    check.add_argument(
        "--max-events", type=int, default=None, help="check at most this many events per sample"
    )
    check.add_argument(
        "--skip-appinspect",
        action="store_true",
        help="do not run splunk-appinspect (reported as a warning)",
    )
    check.add_argument(
        "--cim-required",
        action="store_true",
        help="require CIM compliance: CIM-required fields on >= 95%% of the events a data "
        "model applies to, and a data model for every source type",
    )
    check.add_argument(
        "--appinspect", default=None, metavar="PATH", help="the splunk-appinspect executable to use"
    )
    check.set_defaults(func=_check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tagen")
    subparsers = parser.add_subparsers(dest="command", metavar="{ta}")
    subparsers.required = True
    register(subparsers)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
