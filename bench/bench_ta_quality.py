"""TA quality on real public logs: one row per corpus of ``tests/ta/samples/real``.

For each corpus: whether a TA builds; the share of the hand-checked lines whose time (as
the TA's props.conf reads it, in the checker's Splunk emulation) equals the corpus's
independent truth; the share of all events given a time read from the event (or, for an
event carrying none, the previous event's time, as Splunk does); the lowest coverage of a
CIM-required field over the events a data model applies to; AppInspect precert failures;
whether that meets the goal (builds, >= 99% timestamps right and timed, >= 95% CIM-required
fields, 0 AppInspect failures); and the checker's verdict with ``cim_required`` where the
corpus belongs to a CIM model (which must agree with the goal).

    .venv/bin/python bench/bench_ta_quality.py                 # with splunk-appinspect
    .venv/bin/python bench/bench_ta_quality.py --skip-appinspect

Not part of the test run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--skip-appinspect", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="corpus names to run")
    parser.add_argument("--errors", action="store_true", help="print the checker's errors")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "ta"))
    from real_corpora import corpora, measure

    header = (
        f"{'corpus':<15} {'builds':<6} {'source type':<22} {'ts right':>9} {'n':>4} {'timed':>6} "
        f"{'CIM model':<16} {'CIM req':>8} {'AppInsp':>7} {'goal':<5} {'checker':<7} agree"
    )
    print(header)
    print("-" * len(header))
    disagreements = 0
    for corpus in corpora():
        if args.only and corpus.name not in args.only:
            continue
        quality = measure(corpus, run_appinspect=not args.skip_appinspect)
        agree = quality.meets_goal == quality.checker_passed
        disagreements += not agree
        appinspect = "-" if quality.appinspect_failures is None else quality.appinspect_failures
        print(
            f"{corpus.name:<15} {'yes' if quality.builds else 'NO':<6} "
            f"{quality.sourcetype[:22]:<22} {_cell(quality.timestamps_right):>9} "
            f"{quality.timestamps_checked:>4} {_cell(quality.events_timed):>6} "
            f"{quality.cim_model[:16] or '-':<16} "
            f"{_cell(quality.cim_required_coverage):>8} {appinspect:>7} "
            f"{'yes' if quality.meets_goal else 'no':<5} "
            f"{'PASS' if quality.checker_passed else 'FAIL':<7} {'yes' if agree else 'NO'}"
        )
        if args.errors:
            if quality.problem:
                print(f"    build: {quality.problem}")
            for message in quality.checker_errors[:6]:
                print(f"    {message[:220]}")
    print(f"\n{disagreements} corpora where the checker's verdict disagrees with the goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
