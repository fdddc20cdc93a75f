"""schemathesis hooks for scripts/fuzz-api: another tenant's ids as data, and a check that the
caller never reaches them (tenant roles) — whatever the operation, a 2xx on a foreign id fails."""
import json
import os

import schemathesis
from hypothesis import strategies as st

FOREIGN = json.load(open(os.environ["FUZZ_FOREIGN_IDS"]))
ROLE = os.environ.get("FUZZ_ROLE", "")
FOREIGN_VALUES = set(FOREIGN["uuids"]) | {job["id"] for job in FOREIGN["jobs"]}
# The other tenant itself: its slice of a queue (limits, pause, purge) must be out of reach too.
FOREIGN_TENANT = os.environ.get("FUZZ_FOREIGN_TENANT", "")
if FOREIGN_TENANT:
    FOREIGN_VALUES.add(FOREIGN_TENANT)
QUEUES = ["inter-notifications", "immo-imports", "agent-runs", "agent-tools"]


@schemathesis.hook
def before_generate_path_parameters(context, strategy):
    if ROLE == "platform-admin" or context.operation is None:
        return strategy
    path = context.operation.path
    if "{tenantId}" in path and FOREIGN_TENANT:
        foreign = st.sampled_from([{"queue": queue, "tenantId": FOREIGN_TENANT} for queue in QUEUES])
        return st.one_of(strategy, foreign)
    if "{queue}" in path and "{id}" in path:
        foreign = st.sampled_from([{"queue": job["queue"], "id": job["id"]} for job in FOREIGN["jobs"]])
        return st.one_of(strategy, foreign)
    if path.endswith("{id}") or "{id}/" in path:
        foreign = st.sampled_from([{"id": value} for value in FOREIGN["uuids"]])
        return st.one_of(strategy, foreign)
    return strategy


@schemathesis.check
def no_cross_tenant_access(ctx, response, case):
    if ROLE == "platform-admin":
        return None
    values = set((case.path_parameters or {}).values())
    if values & FOREIGN_VALUES and 200 <= response.status_code < 300:
        raise AssertionError(
            f"{case.method} {case.formatted_path} reached another tenant's resource ({response.status_code})")
    return None
