"""The dashboard in a real browser: headless Chromium (Debian's, with its chromedriver) driven by
Selenium, a 1366x768 viewport, explicit waits with deadlines, and checks of the browser console
and Content-Security-Policy violations after every page.
"""
import os
import re
import struct
import uuid

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from api import COUNT_STATES, quote

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
VIEWPORT = (1366, 768)
WAIT_SECONDS = 20

# Browser-log entries that say nothing about the dashboard: the browser asks for /favicon.ico
# by itself.
ALWAYS_ALLOWED = [re.compile(r"/favicon\.ico - Failed to load resource")]

# Installed before any page script runs (DevTools injects it, so the page's CSP does not apply):
# keeps every CSP violation, including ones the console might word differently.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')
    + ' at ' + event.sourceFile + ':' + event.lineNumber);
});
"""


class Dashboard:
    """One browser on the dashboard of the API at `base_url`."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.console = []  # every browser-log line seen, for the failure artifacts
        self.allowed = list(ALWAYS_ALLOWED)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}", "--no-first-run", "--disable-extensions",
                         "--lang=en-GB"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # The system chromedriver: Selenium Manager must not look for (or download) another.
        os.environ.setdefault("SE_OFFLINE", "true")
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_RECORDER})
        self._size_viewport()

    def _size_viewport(self):
        # --window-size sizes the window; the page gets that minus the (invisible) browser chrome.
        extra_width, extra_height = self.driver.execute_script(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]")
        self.driver.set_window_size(VIEWPORT[0] + extra_width, VIEWPORT[1] + extra_height)
        size = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        assert tuple(size) == VIEWPORT, f"the viewport is {size}, not {VIEWPORT}"

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass

    # Waiting: always WebDriverWait with a deadline, never a fixed sleep.

    def wait(self, timeout=WAIT_SECONDS):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2,
                             ignored_exceptions=(StaleElementReferenceException,))

    def until(self, condition, message, timeout=WAIT_SECONDS):
        """Waits until condition() is truthy and returns it; `message` (a string or a function giving
        one, so it can describe the last state seen) explains a timeout."""
        try:
            return self.wait(timeout).until(lambda _: condition())
        except TimeoutException:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (waited {timeout} s)") from None

    def element(self, css, timeout=WAIT_SECONDS):
        """The first visible element matching `css`, once there is one."""
        try:
            return self.wait(timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise AssertionError(f"no visible {css} within {timeout} s on {self.driver.current_url}") from None

    def present(self, css, timeout=WAIT_SECONDS):
        """The first element matching `css`, once there is one, shown or not (e.g. in a closed <details>)."""
        try:
            return self.wait(timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise AssertionError(f"no {css} within {timeout} s on {self.driver.current_url}") from None

    def elements(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text_of(self, css):
        found = self.elements(css)
        return found[0].text.strip() if found else None

    def wait_for_text(self, css, expected, timeout=WAIT_SECONDS):
        """Waits until the first `css` element's text is exactly `expected`."""
        self.until(lambda: self.text_of(css) == expected,
                   lambda: f"{css} reads {self.text_of(css)!r}, not {expected!r}", timeout)

    def click(self, css, timeout=WAIT_SECONDS):
        try:
            element = self.wait(timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise AssertionError(f"no clickable {css} within {timeout} s") from None
        element.click()

    def fill(self, css, text):
        element = self.element(css)
        element.clear()
        element.send_keys(text)

    # Pages.

    def sign_in(self, token):
        """Pastes `token` into the sign-in form and waits for the signed-in header."""
        self.driver.get(self.base_url + "/admin/")
        self.fill("#token", token)
        self.click("#sign-in")
        self.until(lambda: self.text_of('[data-testid="whoami"]'),
                   lambda: f"not signed in: error {self.text_of('[data-testid=sign-in-error]')!r}")
        self.check_console()

    def go(self, route):
        """Follows a dashboard route (`#/…`) as a link inside the app would: no page load."""
        self.driver.execute_script("window.location.hash = arguments[0]", route)

    def open(self, route):
        """Opens `/admin/` + route as if typed in the address bar."""
        self.driver.get(self.base_url + "/admin/" + route)

    def mark_document(self):
        """Tags the current document; document_marked() tells whether it is still the same one."""
        marker = str(uuid.uuid4())
        self.driver.execute_script("window.__testMarker = arguments[0]", marker)
        return marker

    def document_marked(self, marker):
        return self.driver.execute_script("return window.__testMarker || null") == marker

    def action_elements(self):
        """outerHTML of every element with a data-action attribute (read-only users get none)."""
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll('[data-action]'), (e) => e.outerHTML.slice(0, 200))")

    def shown_counts(self):
        """{queue: {state: cell text}} from the overview's [data-count] cells."""
        return self.driver.execute_script("""
            const shown = {};
            for (const row of document.querySelectorAll('tr[data-testid="queue-row"]')) {
              const cells = {};
              for (const cell of row.querySelectorAll('[data-count]')) cells[cell.dataset.count] = cell.textContent;
              shown[row.dataset.queue] = cells;
            }
            return shown;""")

    def wait_for_counts_of(self, api, timeout=30):
        """Waits until the overview shows exactly the counts GET /api/admin/queues answers, read
        before and after the page so a count changing in between does not pass; returns them."""
        seen = {}

        def matching():
            before = api.queue_counts()
            shown = self.shown_counts()
            after = api.queue_counts()
            seen.update(api=after, shown=shown)
            expected = {queue: {state: str(counts[state]) for state in COUNT_STATES} for queue, counts in after.items()}
            return after if before == after and shown == expected else None

        return self.until(matching, lambda: f"the overview shows {seen.get('shown')}, the API says {seen.get('api')}", timeout)

    # The console and CSP.

    def expect_console_error(self, pattern):
        """Allows browser-log errors matching `pattern` (e.g. the 404 a not-found page is made of)."""
        self.allowed.append(re.compile(pattern))

    def check_console(self):
        """Fails on any SEVERE browser-log entry not allowed, and on any CSP violation, since the
        last check."""
        errors = []
        for entry in self.driver.get_log("browser"):
            line = f"{entry['level']} {entry.get('source', '')}: {entry['message']}"
            self.console.append(line)
            if entry["level"] == "SEVERE" and not any(p.search(entry["message"]) for p in self.allowed):
                errors.append(line)
        violations = self.driver.execute_script(
            "return window.__cspViolations ? window.__cspViolations.splice(0) : []") or []
        self.console += [f"CSP violation: {v}" for v in violations]
        assert not errors and not violations, (
            f"browser console errors on {self.driver.current_url}:\n" + "\n".join(errors + violations))

    # Pictures.

    def screenshot(self, path):
        """Saves the viewport as a PNG at `path` and checks its size."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        assert self.driver.save_screenshot(path), f"no screenshot written to {path}"
        with open(path, "rb") as file:
            width, height = struct.unpack(">II", file.read(24)[16:24])
        assert (width, height) == VIEWPORT, f"the screenshot is {width}x{height}, not {VIEWPORT}"

    def save_failure(self, directory, name):
        """What a failed test leaves behind: <name>.png, <name>.console.log and <name>.html."""
        os.makedirs(directory, exist_ok=True)
        base = os.path.join(directory, name)
        try:
            self.driver.save_screenshot(base + ".png")
        except WebDriverException as error:
            self.console.append(f"(no screenshot: {error.msg})")
        try:
            self.console += [f"{e['level']} {e.get('source', '')}: {e['message']}" for e in self.driver.get_log("browser")]
            violations = self.driver.execute_script("return window.__cspViolations || []") or []
            self.console += [f"CSP violation: {v}" for v in violations]
            with open(base + ".html", "w") as file:
                file.write(f"<!-- {self.driver.current_url} -->\n" + self.driver.page_source)
        except WebDriverException as error:
            self.console.append(f"(browser unreachable: {error.msg})")
        with open(base + ".console.log", "w") as file:
            file.write("\n".join(self.console) + "\n")


def job_route(queue, job_id):
    """The job page's route: `#/job/<queue>/<id>`, the id URL-encoded."""
    return f"#/job/{queue}/{quote(job_id)}"
