"""Web console benchmark: the built bundle's size and the first page load.

1. Size: every file of web/dist raw and gzip-compressed (level 6, what the gateway sends),
   and the initial route's total (index.html plus the scripts and styles it loads before
   the sign-in page shows; lazily loaded pages are not part of it). Goal: < 300 KB gzipped.
2. Load: `tagen run` on the embedded default (temporary DATA_DIR, ephemeral ports), then
   Debian's Chromium (Playwright) opens `/` in a fresh browser context (empty cache) N times
   and in one warm context N times; prints the median time to the load event and to the
   sign-in button being visible. Goal: first load < 1 s.

    make web && .venv/bin/python bench/bench_console.py [--loads 5]
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.platform_process import run_platform  # noqa: E402

DIST = ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")


def sizes() -> None:
    index = (DIST / "index.html").read_text()
    initial = {"index.html"} | {
        m.lstrip("/") for m in re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)
    }
    total_raw = total_gz = 0
    print(f"{'file':48} {'raw':>10} {'gzip':>10}")
    for path in sorted(p for p in DIST.rglob("*") if p.is_file()):
        name = str(path.relative_to(DIST))
        body = path.read_bytes()
        packed = len(gzip.compress(body, compresslevel=6))
        mark = "*" if name in initial else " "
        print(f"{mark}{name:47} {len(body):>10,} {packed:>10,}")
        if name in initial:
            total_raw += len(body)
            total_gz += packed
    verdict = "met" if total_gz < 300 * 1024 else "NOT met"
    print(f"initial route (*): {total_raw / 1024:.1f} KB raw, {total_gz / 1024:.1f} KB gzipped")
    print(f"goal < 300 KB gzipped: {verdict}")


def loads(base_url: str, count: int) -> None:
    from playwright.sync_api import sync_playwright

    script = """() => performance.getEntriesByType('navigation')[0].loadEventEnd"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        cold_load: list[float] = []
        cold_visible: list[float] = []
        for _ in range(count):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(base_url + "/")
            page.get_by_role("button", name="Sign in").wait_for()
            cold_visible.append((time.perf_counter() - started) * 1000)
            cold_load.append(page.evaluate(script))
            context.close()
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(base_url + "/")
        warm: list[float] = []
        for _ in range(count):
            page.reload()
            page.get_by_role("button", name="Sign in").wait_for()
            warm.append(page.evaluate(script))
        browser.close()
    load_ms, visible_ms = statistics.median(cold_load), statistics.median(cold_visible)
    print(
        f"first load, empty cache (median of {count}): load event {load_ms:.0f} ms, "
        f"sign-in visible {visible_ms:.0f} ms"
    )
    print(f"reload, warm cache (median of {count}): load event {statistics.median(warm):.0f} ms")
    verdict = "met" if visible_ms < 1000 else "NOT met"
    print(f"goal first load < 1 s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        raise SystemExit("web/dist is missing: run `make web` first")
    sizes()
    if not CHROMIUM.exists():
        print("Chromium is missing (apt-get install chromium): page load not measured")
        return
    with (
        tempfile.TemporaryDirectory(prefix="bench-console-") as data_dir,
        run_platform(Path(data_dir), {}) as platform,
    ):
        loads(platform.base_url, args.loads)


if __name__ == "__main__":
    main()
