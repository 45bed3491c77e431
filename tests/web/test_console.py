"""The web console in a real browser (Debian's Chromium driven by Playwright) against the
real platform (`tagen run`, the command behind `make run`): a requestor's request from
creation through approval, generation and validation to COMPLETED, followed live; a request
whose sample has no timestamps ending FAILED with its reason, then regenerated; a rejection;
an upload with its progress bar; an API error shown next to its field; an admin deactivating
a user; a password change, "sign out everywhere" and the throttled sign-in. Screenshots of the
main pages go to test-artifacts/console/ and the first-load figures to
test-artifacts/console/figures.json.

Every story runs on one platform without splunk-appinspect (validation takes a second), except
the full story, which runs on the e2e platform with AppInspect on."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.gateway.static import DEFAULT_ROOT
from tests.e2e.test_platform import ADMIN, SAMPLE, Platform, login, platform  # noqa: F401
from tests.platform_process import run_platform

pytestmark = pytest.mark.xdist_group("e2e")

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
#: The pipeline (generation and validation after approval) moves a request to a terminal status.
TERMINAL_DEADLINE_SECONDS = 240
PEOPLE = {
    "rita": ("REQUESTOR", "Rita Requestor"),
    "aaron": ("APPROVER", "Aaron Approver"),
    "victor": ("REQUESTOR", "Victor Visitor"),
    "paula": ("REQUESTOR", "Paula Passwords"),
    "tom": ("REQUESTOR", "Tom Throttled"),
}
#: The throttled sign-in waits this long after LOGIN_THROTTLE_USERNAME_FAILURES failures.
THROTTLE_SECONDS = 120

sync_api = pytest.importorskip("playwright.sync_api", reason="pip package playwright missing")


def password(username: str) -> str:
    return f"{username}-password-1"


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform of most stories: validation without splunk-appinspect, short polls, a
    long sign-in throttle wait after failed logins (the 429 story), and validation paused
    (no story here but the cancel one validates: its run stays QUEUED until cancelled)."""
    with run_platform(
        tmp_path_factory.mktemp("console-platform"),
        {
            "BOOTSTRAP_ADMIN_USERNAME": ADMIN[0],
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            "VALIDATION_RUN_APPINSPECT": "false",
            "VALIDATION_POLL_SECONDS": "0.2",
            "GENERATION_POLL_SECONDS": "0.2",
            "LOGIN_THROTTLE_IP_FAILURES": "100000",
            "LOGIN_THROTTLE_BASE_SECONDS": str(THROTTLE_SECONDS),
            "MAX_PARALLEL_VALIDATIONS": "0",
        },
    ) as running:
        yield running


@pytest.fixture(scope="module")
def people(fast: Platform) -> dict[str, str]:
    """The users of these stories on the fast platform, by username -> id."""
    return make_people(fast)


@pytest.fixture(scope="module")
def inspected_people(platform: Platform) -> dict[str, str]:  # noqa: F811
    """The users of the full story on the e2e platform (AppInspect on)."""
    return make_people(platform)


def make_people(platform: Platform) -> dict[str, str]:  # noqa: F811
    """The users of these stories (created through the API), by username -> id."""
    ids: dict[str, str] = {}
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        admin = login(http, *ADMIN)
        for username, (role, name) in PEOPLE.items():
            reply = http.post(
                "/v1/users",
                headers=admin,
                json={
                    "username": username,
                    "email": f"{username}@example.com",
                    "full_name": name,
                    "password": password(username),
                    "roles": [role],
                },
            )
            assert reply.status_code == 200, reply.text
            ids[username] = reply.json()["user"]["id"]
    return ids


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: apt-get install chromium (`make test` does it as root)")
    if not (DEFAULT_ROOT / "index.html").exists():
        pytest.skip("the console is not built: run `make web` (`make test` does it)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: sync_api.Browser, fast: Platform) -> Iterator[sync_api.Page]:
    yield from open_page(browser, fast)


@pytest.fixture
def inspected_page(
    browser: sync_api.Browser,
    platform: Platform,  # noqa: F811
) -> Iterator[sync_api.Page]:
    yield from open_page(browser, platform)


def open_page(browser: sync_api.Browser, platform: Platform) -> Iterator[sync_api.Page]:  # noqa: F811
    """A fresh browser context on `platform`; fails the test on page errors or CSP
    violations."""
    context = browser.new_context(
        viewport=DESKTOP, base_url=platform.base_url, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"uncaught errors or CSP violations in the page: {errors}"


def shot(page: sync_api.Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: sync_api.Page, username: str, secret: str | None = None) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(secret or password(username))
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def sign_out(page: sync_api.Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    sync_api.expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def api_request(
    platform: Platform,  # noqa: F811
    username: str,
    source: str,
    sample_path: Path = SAMPLE,
) -> str:
    """A submitted request made through the API (the stories that start at approval)."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        auth = login(http, username, password(username))
        made = http.post("/v1/requests", headers=auth, json={"source_system": source})
        assert made.status_code == 200, made.text
        request_id = made.json()["request"]["id"]
        with sample_path.open("rb") as sample:
            files = {"file": (sample_path.name, sample, "text/plain")}
            uploaded = http.post(f"/v1/requests/{request_id}/samples", headers=auth, files=files)
        assert uploaded.status_code == 200, uploaded.text
        submitted = http.post(f"/v1/requests/{request_id}:submit", headers=auth, json={})
        assert submitted.status_code == 200, submitted.text
    return str(request_id)


def approve(platform: Platform, request_id: str) -> None:  # noqa: F811
    """The approver approves through the API (the pipeline then starts by itself)."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as http:
        auth = login(http, "aaron", password("aaron"))
        approved = http.post(f"/v1/requests/{request_id}:approve", headers=auth, json={})
        assert approved.status_code == 200, approved.text


def test_first_load_and_sign_in_page(browser: sync_api.Browser, fast: Platform) -> None:
    """Figures, not a timing assertion: the first load of `/` on a fresh browser and the
    size of what it transferred."""
    context = browser.new_context(viewport=DESKTOP, base_url=fast.base_url)
    page = context.new_page()
    page.goto("/")
    sync_api.expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    timing = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const resources = performance.getEntriesByType('resource');
          return {
            dom_content_loaded_ms: nav.domContentLoadedEventEnd,
            load_ms: nav.loadEventEnd,
            transferred_bytes: nav.transferSize
              + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0),
          };
        }"""
    )
    started = time.perf_counter()
    page.reload()
    sync_api.expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    timing["reload_to_sign_in_visible_ms"] = round((time.perf_counter() - started) * 1000, 1)
    (ARTIFACTS / "figures.json").write_text(json.dumps(timing, indent=2))
    print("console first load:", timing)
    assert timing["load_ms"] > 0
    shot(page, "01-sign-in-1280")
    context.close()


def test_a_request_from_creation_to_completed(
    inspected_page: sync_api.Page,
    browser: sync_api.Browser,
    platform: Platform,  # noqa: F811
    inspected_people: dict[str, str],
) -> None:
    """The requestor creates, uploads and submits; the approver approves in another browser;
    the requestor's open page follows the pipeline to COMPLETED without reloading; the TA
    downloads and the validation report (AppInspect on) opens."""
    expect = sync_api.expect
    page = inspected_page
    sign_in(page, "rita")
    page.get_by_role("link", name="New request").first.click()
    # The API's error is shown next to the field it names.
    page.get_by_role("button", name="Create request").click()
    source = page.locator('[data-field="source_system"]')
    expect(source.locator(".field-error")).to_have_text("must not be empty")
    expect(source.get_by_label("Source system")).to_have_attribute("aria-invalid", "true")
    shot(page, "03-new-request-field-error-1280")
    source.get_by_label("Source system").fill("Apache HTTP Server")
    page.get_by_label("Description").fill("Web tier access logs, combined format")
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_role("heading", name="Apache HTTP Server")).to_be_visible()
    expect(page.get_by_role("button", name="Submit for approval")).to_be_disabled()

    page.get_by_label("Upload log samples").set_input_files(str(SAMPLE))
    expect(page.locator(".uploads li.done")).to_have_count(1)
    first_line = SAMPLE.read_text().splitlines()[0]
    expect(page.locator("pre.preview")).to_contain_text(first_line[:40])
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".page-header .badge")).to_have_text("Pending approval")
    timeline = page.get_by_label("Status timeline")
    expect(timeline).to_have_attribute("data-status", "PENDING_APPROVAL")
    shot(page, "04-request-pending-1280")
    request_url = page.url
    assert request_url.startswith(platform.base_url + "/requests/")
    page.evaluate("() => { window.__sameDocument = true; }")

    approver = browser.new_context(viewport=DESKTOP, base_url=platform.base_url)
    try:
        approved_and_regenerated(page, approver.new_page(), first_line)
    finally:
        approver.close()


def approved_and_regenerated(page: sync_api.Page, other: sync_api.Page, first_line: str) -> None:
    """The rest of the full story: `other` is the approver's page, `page` the requestor's."""
    expect = sync_api.expect
    timeline = page.get_by_label("Status timeline")
    sign_in(other, "aaron")
    other.get_by_role("navigation").get_by_role("link", name="Approvals").click()
    queue = other.locator("ol.queue")
    expect(queue.get_by_role("link", name="Apache HTTP Server")).to_be_visible()
    shot(other, "05-approvals-1280")
    queue.get_by_role("link", name="Apache HTTP Server").click()
    expect(other.locator("pre.preview")).to_contain_text(first_line[:40])
    other.get_by_role("button", name="Approve").click()
    expect(other.get_by_label("Status timeline")).not_to_have_attribute(
        "data-status", "PENDING_APPROVAL"
    )

    # The requestor's page follows the request by itself (polling), never reloading.
    expect(timeline).to_have_attribute(
        "data-status", "COMPLETED", timeout=TERMINAL_DEADLINE_SECONDS * 1000
    )
    assert page.evaluate("() => window.__sameDocument") is True
    expect(page.get_by_test_id("attempt")).to_have_text("Attempt 1")
    expect(page.locator("ul.runs .badge").first).to_have_text("Passed")
    expect(page.locator("ul.revisions")).to_contain_text("Attempt 1")
    shot(page, "06-request-completed-1280")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download TA").first.click()
    assert download.value.suggested_filename.endswith((".tgz", ".spl", ".tar.gz"))
    page.set_viewport_size(MOBILE)
    shot(page, "06-request-completed-mobile")
    page.set_viewport_size(DESKTOP)

    page.locator("ul.runs a").first.click()
    expect(page.get_by_role("heading", name="Findings")).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text("Passed")
    expect(page.get_by_role("meter", name="timestamps coverage").first).to_be_visible()
    shot(page, "08-validation-report-1280")
    page.set_viewport_size(MOBILE)
    shot(page, "08-validation-report-mobile")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Requests by status")).to_be_visible()
    shot(page, "02-overview-1280")

    # The approver regenerates the completed request: a second attempt, a second revision.
    other.reload()
    other.get_by_role("button", name="Regenerate").click()
    revisions = other.locator("ul.revisions > li")
    expect(revisions).to_have_count(2, timeout=TERMINAL_DEADLINE_SECONDS * 1000)
    expect(other.get_by_label("Status timeline")).to_have_attribute(
        "data-status", "COMPLETED", timeout=TERMINAL_DEADLINE_SECONDS * 1000
    )
    expect(other.get_by_test_id("attempt")).to_have_text("Attempt 2")
    expect(revisions.first).to_contain_text("Version 2")
    expect(revisions.first).to_contain_text("Attempt 2")
    expect(other.locator("ul.runs > li")).to_have_count(2)
    other.locator("ul.revisions").screenshot(path=str(ARTIFACTS / "07-revisions-1280.png"))
    shot(other, "07-request-regenerated-1280")


def test_a_sample_without_timestamps_fails_and_the_approver_tries_again(
    page: sync_api.Page,
    fast: Platform,
    people: dict[str, str],
    tmp_path: Path,
) -> None:
    expect = sync_api.expect
    sample = tmp_path / "document-events.log"
    sample.write_text(
        "".join(f"user {i} opened document {i} and closed it again\n" for i in range(200))
    )
    request_id = api_request(fast, "rita", "Document store", sample)
    approve(fast, request_id)
    sign_in(page, "rita")
    page.goto(f"/requests/{request_id}")
    timeline = page.get_by_label("Status timeline")
    expect(timeline).to_have_attribute("data-status", "FAILED", timeout=60_000)
    failure = page.get_by_test_id("failure")
    expect(failure).to_contain_text("Failed in generation (attempt 1).")
    expect(failure).to_contain_text("timestamp")
    expect(timeline.locator("li.bad")).to_have_count(1)
    expect(timeline).not_to_contain_text("Validating")
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(0)
    shot(page, "09-request-failed-1280")
    page.set_viewport_size(MOBILE)
    shot(page, "09-request-failed-mobile")
    page.set_viewport_size(DESKTOP)
    sign_out(page)

    sign_in(page, "aaron")
    page.goto(f"/requests/{request_id}")
    expect(page.get_by_text("Upload a manual revision")).to_be_visible()
    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_test_id("attempt")).to_have_text("Attempt 2", timeout=30_000)
    expect(timeline).to_have_attribute("data-status", "FAILED", timeout=60_000)
    expect(page.get_by_test_id("failure")).to_contain_text("(attempt 2)")

    # A manual TA (index-time timestamps) goes to validation; the approver cancels the run,
    # which fails the request in validation with a link to the run.
    ta = tmp_path / "TA-document-store.tgz"
    build = [sys.executable, "-m", "services.cli.main", "ta", "build", "--allow-no-timestamp"]
    build += ["--source-system", "Document store", "--out", str(ta), str(sample)]
    subprocess.run(build, check=True, cwd=ROOT, capture_output=True, timeout=120)
    page.get_by_text("Upload a manual revision").click()
    page.get_by_label("Upload a TA package").set_input_files(str(ta))
    expect(timeline).to_have_attribute("data-status", "VALIDATING")
    expect(page.get_by_test_id("attempt")).to_have_text("Attempt 3")
    expect(page.locator("ul.revisions")).to_contain_text("Manual")
    expect(page.locator("ul.runs .badge")).to_have_text("Queued")
    page.locator("ul.runs").get_by_role("button", name=re.compile("^Cancel run")).click()
    expect(timeline).to_have_attribute("data-status", "FAILED", timeout=30_000)
    banner = page.get_by_test_id("failure")
    expect(banner).to_contain_text("Failed in validation (attempt 3).")
    expect(page.locator("ul.runs .badge")).to_have_text("Failed")
    shot(page, "09-request-failed-in-validation-1280")
    banner.get_by_role("link", name="Read the validation report").click()
    expect(page.locator(".verdict")).to_contain_text("Failed")
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)


def test_an_approver_rejects_with_a_reason(
    page: sync_api.Page,
    fast: Platform,
    people: dict[str, str],
) -> None:
    expect = sync_api.expect
    request_id = api_request(fast, "rita", "Cisco ASA")
    sign_in(page, "aaron")
    page.goto(f"/requests/{request_id}")
    # The approver reads the sample in full.
    with page.expect_download() as sample:
        page.locator("ul.samples").get_by_role("button", name="Download").click()
    assert sample.value.suggested_filename == SAMPLE.name
    page.get_by_role("button", name="Reject…").click()
    page.get_by_role("button", name="Reject request").click()
    reason = page.locator('[data-field="rejection_reason"]')
    expect(reason.locator(".field-error")).to_be_visible()
    reason.get_by_label("Reason").fill("Please add samples from the firewall's VPN module too.")
    page.get_by_role("button", name="Reject request").click()
    expect(page.get_by_label("Status timeline")).to_have_attribute("data-status", "REJECTED")
    sign_out(page)
    sign_in(page, "rita")
    page.goto(f"/requests/{request_id}")
    expect(
        page.get_by_text("Please add samples from the firewall's VPN module too.")
    ).to_be_visible()
    shot(page, "10-request-rejected-1280")
    page.set_viewport_size(MOBILE)
    shot(page, "10-request-rejected-mobile")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Requests").click()
    expect(page.get_by_role("link", name="Cisco ASA")).to_be_visible()
    shot(page, "11-requests-mobile")


def test_an_upload_shows_its_progress(
    page: sync_api.Page,
    people: dict[str, str],
    tmp_path: Path,
) -> None:
    expect = sync_api.expect
    big = tmp_path / "access-big.log"
    lines = SAMPLE.read_bytes()
    with big.open("wb") as out:
        while out.tell() < 3 * 1024 * 1024:
            out.write(lines)
    sign_in(page, "rita")
    page.get_by_role("link", name="New request").first.click()
    page.get_by_label("Source system").fill("nginx")
    page.get_by_role("button", name="Create request").click()
    expect(page.get_by_role("heading", name="nginx")).to_be_visible()
    # Every value the progress bar shows, recorded as it changes; the upload is slowed
    # to about 1.5 MB/s so the bar has time to move.
    page.evaluate(
        """() => {
          window.__progress = [];
          new MutationObserver(() => {
            for (const bar of document.querySelectorAll('[role=progressbar]'))
              window.__progress.push(Number(bar.getAttribute('aria-valuenow')));
          }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }"""
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1.5e6},
    )
    page.get_by_label("Upload log samples").set_input_files(str(big))
    expect(page.get_by_role("progressbar")).to_be_visible()
    shot(page, "12-upload-in-progress-1280")
    expect(page.locator(".uploads li.done")).to_have_count(1, timeout=30_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    seen: list[int] = page.evaluate("window.__progress")
    assert any(0 < value < 100 for value in seen), seen
    assert seen[-1] == 100
    assert seen == sorted(seen)
    expect(page.locator("ul.samples > li")).to_have_count(1)
    page.get_by_role("button", name=f"Delete {big.name}").click()
    expect(page.get_by_text("No sample yet.")).to_be_visible()


def test_an_admin_deactivates_a_user(
    page: sync_api.Page,
    fast: Platform,
    people: dict[str, str],
    tmp_path: Path,
) -> None:
    expect = sync_api.expect
    sign_in(page, *ADMIN)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Find").fill("victor")
    row = page.locator('tr[data-user="victor"]')
    expect(row).to_have_count(1)
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    row.get_by_role("button", name="Deactivate victor").click()
    expect(row.get_by_text("Deactivated", exact=True)).to_be_visible()
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        refused = http.post(
            "/v1/auth:login", json={"username": "victor", "password": password("victor")}
        )
        assert refused.status_code == 401, refused.text
    page.get_by_label("Find").fill("")
    shot(page, "13-users-1280")
    page.get_by_role("link", name="Configuration").click()
    expect(page.get_by_role("heading", name="Configuration")).to_be_visible()
    settings = page.get_by_role("form", name="New setting")
    page.get_by_role("button", name="New setting").click()
    settings.get_by_label("Key").fill("support_contact")
    settings.get_by_label("Type").select_option("json")
    settings.get_by_label("Value").fill("{oops")
    settings.get_by_role("button", name="Save").click()
    value = settings.locator('[data-field="value"]')
    expect(value.locator(".field-error")).to_contain_text("not valid JSON")
    settings.get_by_label("Value").fill('{"team": "splunk-ops"}')
    settings.get_by_role("button", name="Save").click()
    expect(settings).to_have_count(0)  # saved: the form closes
    expect(page.locator(".config-list")).to_contain_text('{"team": "splunk-ops"}')
    page.get_by_role("button", name="New setting").click()
    settings.get_by_label("Key").fill("SUPPORT_TOKEN")
    settings.get_by_label("Secret (masked when read)").check()
    settings.get_by_label("Value").fill("s3cr3t-value")
    settings.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Edit SUPPORT_TOKEN")).to_be_visible()
    expect(page.locator(".config-list")).not_to_contain_text("s3cr3t-value")
    expect(page.locator(".config-list")).to_contain_text("••••••••")
    shot(page, "14-config-1280")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator("table.table tbody tr").first).to_be_visible()
    shot(page, "15-audit-1280")
    page.get_by_role("link", name="Knowledge").click()
    expect(page.get_by_role("heading", name="Documents", exact=True)).to_be_visible()
    guide = tmp_path / "apache-guide.md"
    guide.write_text(
        "# Apache access logs\n\nThe combined log format adds the referer and the user agent "
        "to the common log format. Map clientip to src and status to the Web data model.\n"
    )
    page.get_by_label("Title (optional; the file name otherwise)").fill("Apache access log guide")
    page.get_by_label("Upload knowledge documents").set_input_files(str(guide))
    documents = page.locator("table.table")
    expect(documents.get_by_text("Apache access log guide")).to_be_visible()
    deadline = time.monotonic() + 60
    while not documents.get_by_text(re.compile("^Indexed")).count():
        assert time.monotonic() < deadline, "the document was not indexed within 60 s"
        page.reload()
        expect(documents.get_by_text("Apache access log guide")).to_be_visible()
    page.get_by_label("Search the knowledge base").fill("referer agent")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("ol.hits mark").first).to_have_text(re.compile("referer|agent", re.I))
    expect(page.locator("ol.hits")).not_to_contain_text("**")
    shot(page, "16-knowledge-1280")


def test_an_expired_token_is_refreshed_and_a_dead_session_ends_cleanly(
    page: sync_api.Page,
    people: dict[str, str],
) -> None:
    expect = sync_api.expect
    sign_in(page, "rita")
    tokens = "JSON.parse(sessionStorage.getItem('tagen.session'))"
    page.evaluate(
        f"() => {{ const t = {tokens}; t.access_token = 'expired';"
        " sessionStorage.setItem('tagen.session', JSON.stringify(t)); }"
    )
    page.reload()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert page.evaluate(f"() => {tokens}.access_token") != "expired"
    page.evaluate(
        "() => sessionStorage.setItem('tagen.session',"
        " JSON.stringify({access_token: 'expired', refresh_token: 'revoked'}))"
    )
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('tagen.session')") is None


def test_keyboard_sign_in_and_pages_that_do_not_exist(
    page: sync_api.Page,
    people: dict[str, str],
) -> None:
    """Signing in with the keyboard only; an unknown address or entity shows a message in
    the frame, never a blank page."""
    expect = sync_api.expect
    page.goto("/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type(password("rita"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.goto("/requests/00000000-0000-4000-8000-000000000000")
    expect(page.get_by_role("alert")).to_contain_text("Not found.")
    page.goto("/validations/not-a-uuid")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_user_changes_their_password_and_signs_out_everywhere(
    page: sync_api.Page,
    fast: Platform,
    people: dict[str, str],
) -> None:
    expect = sync_api.expect
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        elsewhere = http.post(
            "/v1/auth:login", json={"username": "paula", "password": password("paula")}
        ).json()["refresh_token"]
    sign_in(page, "paula")
    page.get_by_role("link", name="Your account").click()
    form = page.get_by_role("form", name="Change password")
    current = form.locator('[data-field="current_password"]')
    fresh = form.locator('[data-field="new_password"]')
    form.get_by_label("Current password").fill("not-my-password-at-all")
    form.get_by_label("New password").fill("a long enough new secret")
    form.get_by_role("button", name="Change password").click()
    expect(current.locator(".field-error")).to_have_text("does not match")
    form.get_by_label("Current password").fill(password("paula"))
    form.get_by_label("New password").fill("short")
    form.get_by_role("button", name="Change password").click()
    expect(fresh.locator(".field-error")).to_contain_text("12")
    expect(current.locator(".field-error")).to_have_count(0)
    shot(page, "17-change-password-error-1280")
    form.get_by_label("New password").fill("paula's new long secret")
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        # The change ended the session signed in elsewhere.
        ended = http.post("/v1/auth:refresh", json={"refresh_token": elsewhere})
        assert ended.status_code == 401, ended.text
    page.reload()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    sign_out(page)
    sign_in(page, "paula", "paula's new long secret")
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        login_again = {"username": "paula", "password": "paula's new long secret"}
        elsewhere = http.post("/v1/auth:login", json=login_again).json()["refresh_token"]
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('tagen.session')") is None
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        ended = http.post("/v1/auth:refresh", json={"refresh_token": elsewhere})
        assert ended.status_code == 401, ended.text


def test_a_throttled_sign_in_says_how_long_to_wait(
    page: sync_api.Page,
    fast: Platform,
    people: dict[str, str],
) -> None:
    expect = sync_api.expect
    with httpx.Client(base_url=fast.base_url, timeout=30) as http:
        for _ in range(20):
            reply = http.post("/v1/auth:login", json={"username": "tom", "password": "wrong"})
            if reply.status_code == 429:
                break
            assert reply.status_code == 401, reply.text
        assert reply.status_code == 429, reply.text
    page.goto("/")
    page.get_by_label("Username").fill("tom")
    page.get_by_label("Password").fill(password("tom"))
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many attempts.")
    expect(alert).to_contain_text(re.compile(r"Wait \d+ (seconds?|minutes) before trying again"))
    shot(page, "18-sign-in-throttled-1280")
