"""The HTTP API as the tests call it directly: to seed, to read what the pages should show, and
to check what the browser cannot (a refused action)."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

QUEUES = ("inter-notifications", "immo-imports", "agent-runs", "agent-tools")
COUNT_STATES = ("waiting", "active", "prioritized", "delayed", "completed", "failed", "waitingChildren")
# The page's data-count names, and the API's count keys where they differ.
API_COUNT_KEYS = {"waitingChildren": "waiting-children"}


class APIError(AssertionError):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path} answered {status}: {body[:500]}")
        self.status = status


class Api:
    def __init__(self, base_url, token):
        self.base_url = base_url
        self.token = token

    def request(self, method, path, body=None, content_type="application/json"):
        """(status, decoded JSON or None); never raises on an HTTP status."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        return status, decoded

    def call(self, method, path, body=None, content_type="application/json"):
        """The decoded answer of a 2xx; APIError otherwise."""
        status, decoded = self.request(method, path, body, content_type)
        if not 200 <= status < 300:
            raise APIError(method, path, status, json.dumps(decoded) if not isinstance(decoded, str) else decoded)
        return decoded

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body=None, content_type="application/json"):
        return self.call("POST", path, body, content_type)

    # The API's answers the pages are compared with.

    def queue_counts(self):
        """{queue: {state: count}} as GET /api/admin/queues answers."""
        answer = self.get("/api/admin/queues")
        return {queue["name"]: {state: queue["counts"][API_COUNT_KEYS.get(state, state)] for state in COUNT_STATES} for queue in answer["queues"]}

    def job(self, queue, job_id):
        """The job as its tenant sees it (GET /api/jobs/{queue}/{id})."""
        return self.get(f"/api/jobs/{queue}/{quote(job_id)}")["job"]


def quote(text):
    return urllib.parse.quote(text, safe="")


def poll(check, timeout, message, interval=0.2):
    """Calls check() until it returns something truthy, for at most `timeout` seconds; returns it.

    For waiting on the API (jobs finishing in the worker). The browser's waits use WebDriverWait.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (not within {timeout} s)")
        time.sleep(interval)


def wait_for_job_state(api, queue, job_id, state, timeout=60):
    """Waits until the job is in `state`; returns the job. Fails at once if it finished otherwise."""
    seen = {}

    def check():
        job = api.job(queue, job_id)
        seen["job"] = job
        if job["state"] == state:
            return job
        if job["state"] in ("completed", "failed") and state in ("completed", "failed"):
            raise AssertionError(f"job {queue}/{job_id} ended {job['state']}, not {state}: {json.dumps(job)[:800]}")
        return None

    try:
        return poll(check, timeout, f"job {queue}/{job_id} did not become {state}")
    except AssertionError as error:
        raise AssertionError(f"{error}; last seen: {json.dumps(seen.get('job'))[:800]}") from None


def wait_for_quiet_counts(api, timeout=60):
    """The queue counts once nothing is waiting, active or prioritized and two reads a moment
    apart agree: what the overview must then show."""
    state = {"previous": None}

    def check():
        counts = api.queue_counts()
        busy = any(counts[q][s] for q in counts for s in ("waiting", "active", "prioritized"))
        stable = counts == state["previous"]
        state["previous"] = counts
        return counts if stable and not busy else None

    try:
        return poll(check, timeout, "the queues did not settle", interval=0.5)
    except AssertionError as error:
        raise AssertionError(f"{error}; last counts: {state['previous']}") from None
