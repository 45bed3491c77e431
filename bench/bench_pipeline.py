"""The generation pipeline on the embedded default (`tagen run` in a child process, driven
through the HTTP gateway): time from approval to COMPLETED for a 1 MB and a 100 MB Apache
access log, the platform process's memory growth meanwhile (every service and the gateway
run in that process; each check runs in a child process of its own), and how many requests
per minute the pipeline completes with MAX_PARALLEL_VALIDATIONS=2.

Goals: 1 MB under 5 s; 100 MB under 60 s; memory flat within 64 MB.
Run: .venv/bin/python bench/bench_pipeline.py [requests-for-throughput] [sizes in MB, e.g. 1,100]
     (VALIDATION_RUN_APPINSPECT=false in the environment measures without splunk-appinspect;
     0 requests skips the throughput figure)
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.platform_process import run_platform  # noqa: E402

SAMPLE = ROOT / "tests" / "ta" / "samples" / "apache_access_combined.log"
ADMIN = ("bench-admin", "bench-password-1")
MB = 1000 * 1000
FINAL = ("COMPLETED", "FAILED")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Sampler(threading.Thread):
    """The process's peak RSS while it runs (polled every 10 ms)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_bytes(pid)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    reply = http.post("/v1/auth:login", json={"username": username, "password": password})
    reply.raise_for_status()
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def make_sample(path: Path, size: int) -> None:
    """An Apache access log of about `size` bytes (the test sample repeated)."""
    block = SAMPLE.read_bytes()
    with path.open("wb") as out:
        written = 0
        while written < size:
            out.write(block)
            written += len(block)


def submitted(http: httpx.Client, rita: dict[str, str], sample: Path) -> str:
    made = http.post("/v1/requests", headers=rita, json={"source_system": "Apache"})
    rid: str = made.json()["request"]["id"]
    with sample.open("rb") as handle:
        uploaded = http.post(
            f"/v1/requests/{rid}/samples",
            headers=rita,
            files={"file": (sample.name, handle, "text/plain")},
        )
    uploaded.raise_for_status()
    http.post(f"/v1/requests/{rid}:submit", headers=rita, json={}).raise_for_status()
    return rid


def wait_final(http: httpx.Client, headers: dict[str, str], rids: list[str]) -> dict[str, dict]:
    done: dict[str, dict] = {}
    deadline = time.monotonic() + 900
    while len(done) < len(rids) and time.monotonic() < deadline:
        for rid in rids:
            if rid not in done:
                details = http.get(f"/v1/requests/{rid}", headers=headers).json()
                if details["request"]["status"] in FINAL:
                    done[rid] = details
        time.sleep(0.05)
    return done


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def stages(final: dict[str, Any], run: dict[str, Any]) -> str:
    """Where the time went, from the stored timestamps: approval -> revision stored
    (generation), -> run queued, -> run started (claim), -> run completed (check; appinspect's
    own share from the results document), -> request COMPLETED (verdict delivery)."""
    request = final["request"]
    [revision] = final["ta_revisions"]
    marks = [
        ("generate", revision["created_at"]),
        ("queue", run["created_at"]),
        ("claim", run["started_at"]),
        ("check", run["completed_at"]),
        ("verdict", request.get("completed_at") or request["updated_at"]),
    ]
    previous = _at(request["approved_at"])
    parts = []
    for name, stamp in marks:
        moment = _at(stamp)
        parts.append(f"{name} {(moment - previous).total_seconds():.2f}")
        previous = moment
    appinspect = ((run.get("results_json") or {}).get("appinspect") or {}).get("duration_seconds")
    if appinspect is not None:
        parts.append(f"(appinspect {appinspect:.2f})")
    return "stages s: " + ", ".join(parts)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    sizes = [int(mb) * MB for mb in (sys.argv[2] if len(sys.argv) > 2 else "1,100").split(",")]
    with tempfile.TemporaryDirectory(prefix="tagen-bench-pipeline-") as scratch:
        env = {
            "BOOTSTRAP_ADMIN_USERNAME": ADMIN[0],
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            "MAX_PARALLEL_VALIDATIONS": "2",
            "GATEWAY_STREAM_TIMEOUT_SECONDS": "600",
        }
        with run_platform(Path(scratch) / "data", env) as platform:
            run(platform.base_url, platform.process.pid, Path(scratch), count, sizes)


def run(base_url: str, pid: int, scratch: Path, count: int, sizes: list[int]) -> None:
    appinspect = os.environ.get("VALIDATION_RUN_APPINSPECT", "true")
    print(f"pipeline on the embedded default (appinspect {appinspect}, 2 parallel validations)")
    with httpx.Client(base_url=base_url, timeout=600) as http:
        admin = login(http, *ADMIN)
        for name, role in (("rita", "REQUESTOR"), ("aaron", "APPROVER")):
            http.post(
                "/v1/users",
                headers=admin,
                json={
                    "username": name,
                    "email": f"{name}@example.com",
                    "password": f"{name}-password-1",
                    "roles": [role],
                },
            ).raise_for_status()
        rita = login(http, "rita", "rita-password-1")
        aaron = login(http, "aaron", "aaron-password-1")

        for size in sizes:
            sample = scratch / f"access-{size // MB}mb.log"
            make_sample(sample, size)
            rid = submitted(http, rita, sample)
            baseline = rss_bytes(pid)
            sampler = Sampler(pid)
            sampler.start()
            started = time.perf_counter()
            http.post(f"/v1/requests/{rid}:approve", headers=aaron, json={}).raise_for_status()
            final = wait_final(http, rita, [rid])[rid]
            elapsed = time.perf_counter() - started
            growth = sampler.stop() - baseline
            [revision] = final["ta_revisions"]
            generation = revision["generation_metadata"]["duration_seconds"]
            runs = http.get(f"/v1/requests/{rid}/validations", headers=rita).json()
            validation = runs["validation_runs"][0]
            check = validation.get("duration_seconds", 0)
            print(
                f"{size // MB:>4} MB sample: approval -> {final['request']['status']} in "
                f"{elapsed:6.2f} s (generation {generation:.2f} s, validation run "
                f"{check} s); platform memory growth {growth / 2**20:6.1f} MiB"
            )
            print(f"       {stages(final, validation)}")
            sample.unlink()

        if count <= 0:
            return
        small = scratch / "access-small.log"
        small.write_bytes(SAMPLE.read_bytes())
        rids = [submitted(http, rita, small) for _ in range(count)]
        started = time.perf_counter()
        for rid in rids:
            http.post(f"/v1/requests/{rid}:approve", headers=aaron, json={}).raise_for_status()
        done = wait_final(http, rita, rids)
        elapsed = time.perf_counter() - started
        completed = sum(1 for d in done.values() if d["request"]["status"] == "COMPLETED")
        for details in done.values():
            if details["request"]["status"] != "COMPLETED":
                print("  not completed:", details["request"].get("failure"))
        print(
            f"throughput: {completed}/{count} requests COMPLETED in {elapsed:.1f} s = "
            f"{completed / elapsed * 60:.1f} requests per minute"
        )


if __name__ == "__main__":
    main()
