"""The admin dashboard in Chromium against the real api and worker (see scripts/browser-test).

Selectors are the ones the shared dashboard spec fixes: ids, data-testid and data-action.
"""
import os
import re
import shutil

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from api import Api, wait_for_job_state, wait_for_quiet_counts
from harness import job_route
from seeding import NOTIFICATIONS, REFUSED_EVENT, RETRY_EVENT, receiver_path

# Chrome's wording of a failed request in the browser log, after the URL.
FAILED_LOAD = r" - Failed to load resource: the server responded with a status of "


def test_platform_admin_sees_the_queue_counts_the_api_answers(dashboard, env, seeded):
    platform = Api(env.base_url, env.token_platform)
    counts = wait_for_quiet_counts(platform)
    # What the seeding left (other tests may add more): each kind of count is not just zero.
    notifications = counts[NOTIFICATIONS]
    assert notifications["completed"] >= 3 and notifications["failed"] >= 2 and notifications["delayed"] >= 1, counts
    assert counts["immo-imports"]["completed"] >= 1, counts
    assert counts["agent-runs"]["completed"] >= 1 and counts["agent-runs"]["failed"] >= 1, counts

    dashboard.sign_in(env.token_platform)
    dashboard.element('[data-testid="overview"]')
    dashboard.wait_for_counts_of(platform)
    dashboard.check_console()


def test_retrying_a_failed_job_shows_it_complete_without_a_reload(dashboard, env, seeded, receiver):
    admin_a = Api(env.base_url, env.token_admin_a)
    # A notification whose endpoint refuses it (410): the worker fails it at once, no retry.
    job = admin_a.post(f"/api/interventions/{seeded.a.intervention_id}/notifications", {"event": RETRY_EVENT})["job"]
    queue, job_id = job["queue"], job["id"]
    wait_for_job_state(admin_a, queue, job_id, "failed")

    dashboard.sign_in(env.token_admin_a)
    route = job_route(queue, job_id)
    dashboard.go(route)
    dashboard.element('[data-testid="job-page"]')
    dashboard.wait_for_text('[data-testid="job-state"]', "failed")
    dashboard.check_console()

    # The receiver is fixed, then the dashboard retries; the page must follow the job by itself.
    # (Today the re-run skips an endpoint that refused the webhook for good, so the job completes
    # without calling it again; with 200 here the test holds if retries ever re-deliver.)
    receiver.answer(receiver_path("a", RETRY_EVENT), 200)
    marker = dashboard.mark_document()
    url = dashboard.driver.current_url
    dashboard.click('[data-testid="job-page"] [data-action="retry"]')
    dashboard.wait_for_text('[data-testid="job-state"]', "completed", timeout=45)
    assert dashboard.document_marked(marker), "the page was reloaded to show the new state"
    assert dashboard.driver.current_url == url
    assert admin_a.job(queue, job_id)["state"] == "completed"
    dashboard.present('[data-testid="job-return"]')
    dashboard.check_console()


def test_a_tenant_admin_sees_only_its_own_jobs(dashboard, env, seeded):
    admin_a = Api(env.base_url, env.token_admin_a)
    b_completed = seeded.b.ids(NOTIFICATIONS, "completed")
    b_ids = set(b_completed + seeded.b.ids(NOTIFICATIONS, "failed"))
    foreign = b_completed[0]
    # The page asks for the job (and maybe its events) and gets 404: that, and only that, is logged.
    dashboard.expect_console_error(re.escape(foreign) + r"\S*" + FAILED_LOAD + "404")

    dashboard.sign_in(env.token_admin_a)
    assert not dashboard.elements("#tenant-filter"), "a tenant admin is offered the platform's tenant filter"
    dashboard.open(job_route(NOTIFICATIONS, foreign))
    message = dashboard.element('[data-testid="not-found"]')
    assert message.text.strip(), "the not-found notice is empty"
    assert not dashboard.elements('[data-testid="job-state"]'), "a job state is shown for another tenant's job"
    dashboard.check_console()

    for state in ("completed", "failed"):
        own = set(seeded.a.ids(NOTIFICATIONS, state))
        dashboard.go(f"#/jobs?queue={NOTIFICATIONS}&state={state}")
        dashboard.element('[data-testid="jobs"]')

        def listed():
            return {row.get_attribute("data-job-id") for row in dashboard.elements('[data-testid="job-row"]')}

        shown = dashboard.until(lambda: listed() if own <= listed() else None,
                                lambda: f"{state} jobs listed: {sorted(listed())}, expected at least {sorted(own)}")
        assert not shown & b_ids, f"tenant B's jobs listed to tenant A: {sorted(shown & b_ids)}"
        # Every row is tenant A's: its own API finds each (404 for any other tenant's job).
        for job_id in shown:
            assert admin_a.request("GET", f"/api/jobs/{NOTIFICATIONS}/{job_id}")[0] == 200, f"{job_id} is not tenant A's"
        dashboard.check_console()


def test_a_viewer_gets_no_actions(dashboard, env, seeded):
    queue, failed_id = seeded.agent_failed_a
    viewer = Api(env.base_url, env.token_viewer_a)
    assert viewer.get("/api/admin/session")["readOnly"] is True

    dashboard.sign_in(env.token_viewer_a)
    dashboard.element('[data-testid="overview"] [data-testid="queue-row"]')
    assert dashboard.action_elements() == [], "actions on the overview of a read-only user"
    dashboard.check_console()

    # A failed job: for an admin its row and page would carry retry, remove and bulk actions.
    dashboard.go(f"#/jobs?queue={queue}&state=failed")
    dashboard.element(f'[data-testid="job-row"][data-job-id="{failed_id}"]')
    assert dashboard.action_elements() == [], "actions on the jobs page of a read-only user"
    dashboard.check_console()

    dashboard.go(job_route(queue, failed_id))
    dashboard.wait_for_text('[data-testid="job-state"]', "failed")
    assert dashboard.action_elements() == [], "actions on the job page of a read-only user"
    dashboard.check_console()

    # The API refuses the action anyway, and the job stays as it was.
    status, answer = viewer.request("POST", f"/api/admin/queues/{queue}/jobs/{failed_id}/retry")
    assert status == 403, f"a viewer's retry answered {status}: {answer}"
    assert Api(env.base_url, env.token_admin_a).job(queue, failed_id)["state"] == "failed"


def test_search_finds_a_job_by_a_piece_of_its_failure(dashboard, env, seeded):
    queue, job_id = seeded.refused_a
    # The failure names the endpoint that refused the webhook; a piece of its id is unique to it.
    endpoint = seeded.a.endpoints[REFUSED_EVENT]
    piece = endpoint[9:23]
    reason = Api(env.base_url, env.token_admin_a).job(queue, job_id).get("failedReason") or ""
    assert piece in reason, f"the failure reason {reason!r} does not name endpoint {endpoint}"

    dashboard.sign_in(env.token_platform)
    dashboard.go("#/search")
    dashboard.element('[data-testid="search"]')
    dashboard.fill("#search-text", piece)
    dashboard.click("#search-submit")
    row = dashboard.element(f'[data-testid="search-row"][data-job-id="{job_id}"]')
    assert row.get_attribute("data-queue") == queue
    rows = {r.get_attribute("data-job-id") for r in dashboard.elements('[data-testid="search-row"]')}
    assert rows == {job_id}, f"only the one job failed at that endpoint, found {sorted(rows)}"
    dashboard.check_console()

    # The result leads to the job's page.
    row.find_element(By.CSS_SELECTOR, "a").click()
    dashboard.wait_for_text('[data-testid="job-state"]', "failed")
    dashboard.check_console()


def test_overview_screenshot(dashboard, env, seeded):
    platform = Api(env.base_url, env.token_platform)
    wait_for_quiet_counts(platform)
    # The chart has something to draw: the seeded jobs finished within the hour.
    metrics = platform.get(f"/api/admin/queues/{NOTIFICATIONS}/metrics?minutes=60")
    assert sum(metrics["completed"]) > 0 and sum(metrics["failed"]) > 0, metrics

    dashboard.sign_in(env.token_platform)
    dashboard.element('[data-testid="overview"]')
    dashboard.wait_for_counts_of(platform)
    for queue in platform.queue_counts():
        dashboard.element(f'svg[data-testid="throughput-chart"][data-queue="{queue}"]')
    dashboard.element('[data-testid="redis-memory"]')
    dashboard.check_console()

    path = os.path.join(env.artifacts, "dashboard-overview.png")
    dashboard.screenshot(path)
    if env.write_docs_screenshot:
        docs = os.path.join(env.repo_root, "docs")
        os.makedirs(docs, exist_ok=True)
        shutil.copyfile(path, os.path.join(docs, "dashboard-overview.png"))


# Every form control, button and link must have a name a screen reader can say: a <label>, an
# aria-label or aria-labelledby, or (buttons and links) visible text; names computed by the page.
UNNAMED_CONTROLS = """
const unnamed = [];
for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
  if (el.type === 'hidden' || el.closest('[hidden]')) continue;
  const labelled = (el.labels && el.labels.length > 0)
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && (document.getElementById(id)?.textContent || '').trim())
    || ((el.tagName === 'BUTTON' || el.tagName === 'A') && ((el.textContent || '').trim() || el.querySelector('img[alt]:not([alt=""])')))
    || (el.getAttribute('title') || '').trim();
  if (!labelled) unnamed.push(el.outerHTML.slice(0, 160));
}
return unnamed;
"""


def test_every_control_is_named_reachable_by_keyboard_and_themed(dashboard, env, seeded):
    platform = Api(env.base_url, env.token_platform)
    wait_for_quiet_counts(platform)
    # The sign-in form: the token box is reached with Tab and the form is sent with Enter.
    dashboard.driver.get(env.base_url + "/admin/")
    dashboard.element("#token")
    assert dashboard.driver.execute_script(UNNAMED_CONTROLS) == []
    focused = []
    for _ in range(10):
        dashboard.driver.switch_to.active_element.send_keys(Keys.TAB)
        focused.append(dashboard.driver.execute_script("return document.activeElement.id"))
        if focused[-1] == "token":
            break
    assert "token" in focused, f"Tab never reached the token box: {focused}"
    dashboard.driver.switch_to.active_element.send_keys(env.token_platform)
    dashboard.driver.switch_to.active_element.send_keys(Keys.TAB)
    dashboard.driver.switch_to.active_element.send_keys(Keys.ENTER)
    dashboard.until(lambda: dashboard.text_of('[data-testid="whoami"]'), "Tab and Enter did not sign in")

    failed = seeded.a.ids(NOTIFICATIONS, "failed")[0]
    pages = [("#/overview", "overview"), (f"#/jobs?queue={NOTIFICATIONS}&state=failed", "jobs"),
             (job_route(NOTIFICATIONS, failed), "job-page"), ("#/search", "search"),
             ("#/schedules", "schedules"), (f"#/tenants?queue={NOTIFICATIONS}", "tenants")]
    for route, testid in pages:
        dashboard.go(route)
        dashboard.element(f'[data-testid="{testid}"]')
        unnamed = dashboard.driver.execute_script(UNNAMED_CONTROLS)
        assert unnamed == [], f"{route}: controls without a name: {unnamed}"
        # Focus is visible: the focused element draws an outline or a box shadow.
        dashboard.driver.execute_script("document.querySelector('nav a').focus()")
        ring = dashboard.driver.execute_script(
            "const s = getComputedStyle(document.activeElement);"
            "return [s.outlineStyle, s.outlineWidth, s.boxShadow]")
        assert (ring[0] != "none" and ring[1] != "0px") or ring[2] != "none", f"{route}: no focus ring: {ring}"
        dashboard.check_console()

    # Dark or light follows the system: the page background changes with the colour scheme.
    backgrounds = []
    for scheme in ("light", "dark"):
        dashboard.driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
        backgrounds.append(dashboard.driver.execute_script("return getComputedStyle(document.body).backgroundColor"))
    assert backgrounds[0] != backgrounds[1], f"the same background in light and dark: {backgrounds}"
