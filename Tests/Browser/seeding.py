"""Jobs for the dashboard to show, made through the real API and run by the real worker.

Each kind of outcome comes from what the worker really does with a webhook answer, so no job is
forged in Redis:
  - 200: the notification is delivered, the job completes;
  - 410 (any 4xx but 408/429): the receiver refused it for good, the job fails at once, no retry;
  - 429 with Retry-After 600: the job is postponed, delayed for ten minutes, no attempt used.
A tenant's notification goes to every endpoint subscribed to its event, so each outcome gets an
event of its own (an endpoint per event), keeping the outcomes apart.

There is no API to register a webhook endpoint: like the Swift end-to-end tests, the row is
written in PostgreSQL (as the owner role, inside the tenant's row-level-security scope).
"""
import subprocess
import uuid
from dataclasses import dataclass, field

from api import Api, wait_for_job_state

DELIVERED_EVENT = "scheduled"  # endpoint answers 200
REFUSED_EVENT = "cancelled"  # endpoint answers 410
HELD_EVENT = "rescheduled"  # endpoint answers 429, Retry-After 600
RETRY_EVENT = "en_route"  # endpoint answers 410 until a test flips it to 200

NOTIFICATIONS = "inter-notifications"
# What each event's endpoint answers at first: (status, Retry-After).
FIRST_ANSWERS = {DELIVERED_EVENT: (200, None), REFUSED_EVENT: (410, None), HELD_EVENT: (429, 600), RETRY_EVENT: (410, None)}


def receiver_path(label, event):
    """The receiver path of tenant `label`'s endpoint for `event`."""
    return f"{label}-{event}"


def add_webhook_endpoint(owner_url, tenant_id, url, events):
    """Registers a tenant's webhook endpoint for `events`; returns its id."""
    endpoint_id = str(uuid.uuid4())
    sql = """
        BEGIN;
        SELECT set_config('app.tenant_id', :'tenant', true);
        INSERT INTO inter_app.webhook_endpoints (id, tenant_id, url, events)
            VALUES (:'id', :'tenant', :'url', string_to_array(:'events', ','));
        COMMIT;
    """
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"tenant={tenant_id}", "-v", f"id={endpoint_id}",
         "-v", f"url={url}", "-v", "events=" + ",".join(events), owner_url],
        input=sql, text=True, capture_output=True, timeout=30)
    assert done.returncode == 0, f"registering the webhook endpoint failed: {done.stderr}"
    return endpoint_id


@dataclass
class TenantSeed:
    tenant_id: str
    intervention_id: str = ""
    endpoints: dict = field(default_factory=dict)  # event -> endpoint id
    completed: list = field(default_factory=list)  # (queue, id) of jobs that completed
    failed: list = field(default_factory=list)  # (queue, id) of jobs that failed
    delayed: list = field(default_factory=list)  # (queue, id) of jobs left delayed

    def ids(self, queue, kind):
        return [job_id for (q, job_id) in getattr(self, kind) if q == queue]


@dataclass
class Seeded:
    a: TenantSeed
    b: TenantSeed
    refused_a: tuple = ()  # the notification of A's that failed: (queue, id)
    agent_failed_a: tuple = ()  # A's agent run that failed: (queue, id)


def notify(api, intervention_id, event):
    job = api.post(f"/api/interventions/{intervention_id}/notifications", {"event": event})["job"]
    return job["queue"], job["id"]


def seed_tenant(api, owner_url, receiver, seed, label):
    """Endpoints at the receiver, an intervention, and its notifications (not yet waited for)."""
    for event, (status, retry_after) in FIRST_ANSWERS.items():
        path = receiver_path(label, event)
        receiver.answer(path, status, retry_after)
        seed.endpoints[event] = add_webhook_endpoint(owner_url, seed.tenant_id, receiver.url(path), [event])
    intervention = api.post("/api/interventions", {
        "reference": f"{label.upper()}-1", "title": f"Boiler check for tenant {label.upper()}", "technician": "Ada"})
    seed.intervention_id = intervention["intervention"]["id"]


def seed(env, receiver):
    """Seeds both tenants and waits until every job has its expected state."""
    admin_a, admin_b = Api(env.base_url, env.token_admin_a), Api(env.base_url, env.token_admin_b)
    a, b = TenantSeed(env.tenant_a), TenantSeed(env.tenant_b)
    seed_tenant(admin_a, env.owner_url, receiver, a, "a")
    seed_tenant(admin_b, env.owner_url, receiver, b, "b")

    # Tenant A: two delivered notifications, one refused, one held back; B: one of the first two.
    a.completed += [notify(admin_a, a.intervention_id, DELIVERED_EVENT) for _ in range(2)]
    refused_a = notify(admin_a, a.intervention_id, REFUSED_EVENT)
    a.failed.append(refused_a)
    a.delayed.append(notify(admin_a, a.intervention_id, HELD_EVENT))
    b.completed.append(notify(admin_b, b.intervention_id, DELIVERED_EVENT))
    b.failed.append(notify(admin_b, b.intervention_id, REFUSED_EVENT))

    # An import (immo-imports) and two agent runs (agent-runs) of tenant A: the worker's scripted
    # model answers `browser-demo` (scripts/browser-test writes it); `browser-missing` has no
    # script, which fails the run at once.
    csv = "external_ref,title,property_type\nA-P1,Flat by the river,apartment\nA-P2,House on the hill,house\n"
    started = admin_a.post("/api/property-imports", csv, "text/csv")["job"]
    a.completed.append((started["queue"], started["id"]))
    for model, outcome in (("browser-demo", a.completed), ("browser-missing", a.failed)):
        agent = admin_a.post("/api/agents", {"name": f"Agent {model}", "provider": "scripted", "model": model})["agent"]
        run = admin_a.post(f"/api/agents/{agent['id']}/runs", {"prompt": "Summarise the week"})["job"]
        outcome.append((run["queue"], run["id"]))
    agent_failed_a = a.failed[-1]

    for tenant, api in ((a, admin_a), (b, admin_b)):
        for kind in ("completed", "failed", "delayed"):
            for queue, job_id in getattr(tenant, kind):
                wait_for_job_state(api, queue, job_id, kind)
    return Seeded(a=a, b=b, refused_a=refused_a, agent_failed_a=agent_failed_a)
