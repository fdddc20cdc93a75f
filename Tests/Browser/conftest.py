"""Fixtures of the browser tests. scripts/browser-test starts the stack and passes it in BROWSER_*
variables; each test gets a fresh browser, and a failing one leaves its screenshot, console log
and page under BROWSER_ARTIFACTS (.data/test/screenshots)."""
import os
from dataclasses import dataclass

import pytest

import seeding
from harness import Dashboard
from receiver import WebhookReceiver


@dataclass(frozen=True)
class Environment:
    base_url: str
    token_platform: str
    token_admin_a: str
    token_viewer_a: str
    token_admin_b: str
    tenant_a: str
    tenant_b: str
    owner_url: str
    artifacts: str
    repo_root: str
    write_docs_screenshot: bool


@pytest.fixture(scope="session")
def env():
    names = ["BROWSER_BASE_URL", "BROWSER_TOKEN_PLATFORM", "BROWSER_TOKEN_ADMIN_A", "BROWSER_TOKEN_VIEWER_A",
             "BROWSER_TOKEN_ADMIN_B", "BROWSER_TENANT_A", "BROWSER_TENANT_B", "BROWSER_OWNER_DATABASE_URL"]
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.exit(f"missing {', '.join(missing)}: run the browser tests through scripts/browser-test", returncode=2)
    root = os.environ.get("BROWSER_REPO_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
    return Environment(
        *(os.environ[name] for name in names),
        artifacts=os.environ.get("BROWSER_ARTIFACTS") or os.path.join(root, ".data/test/screenshots"),
        repo_root=root,
        write_docs_screenshot=os.environ.get("BROWSER_SCREENSHOT") == "1")


@pytest.fixture(scope="session")
def receiver():
    server = WebhookReceiver()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded(env, receiver):
    """Both tenants' jobs, seeded once for every test and finished (see seeding.py)."""
    return seeding.seed(env, receiver)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's outcome on the test, for the browser fixture to see at teardown.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def dashboard(request, env):
    browser = Dashboard(env.base_url)
    try:
        yield browser
        failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
        if failed:
            browser.save_failure(env.artifacts, request.node.name)
        else:
            try:
                # Errors the page logged after the test's last check fail it too.
                browser.check_console()
            except AssertionError:
                browser.save_failure(env.artifacts, request.node.name)
                raise
    finally:
        browser.quit()
