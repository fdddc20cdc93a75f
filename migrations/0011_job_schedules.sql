-- A tenant's recurring work: re-import a stored source, run an agent with a prompt, or send an
-- intervention's notification, every so often or at the times a cron pattern gives. The row is
-- the record; Redis holds the job scheduler (id `sch-<uuid>` on the kind's queue) that creates one
-- trigger job per run. A worker taking a trigger job reads this row under the tenant and creates
-- the run's own rows and job; a trigger whose row is gone removes its scheduler and does nothing.

CREATE TABLE public.job_schedules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('property-import', 'agent-run', 'notification')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The cadence: exactly one of a period or a cron pattern (with an IANA zone, UTC when NULL).
    every_ms bigint CHECK (every_ms BETWEEN 60000 AND 315360000000),
    pattern text CHECK (length(pattern) BETWEEN 1 AND 200),
    time_zone text CHECK (length(time_zone) BETWEEN 1 AND 100),
    start_at timestamptz,
    end_at timestamptz,
    run_limit integer CHECK (run_limit BETWEEN 1 AND 1000000000),
    immediately boolean NOT NULL DEFAULT false,
    -- What each run does, by kind.
    source_import_id uuid,
    agent_id uuid,
    prompt text,
    intervention_id uuid,
    event text,
    channels text[],
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    CHECK ((every_ms IS NULL) <> (pattern IS NULL)),
    CHECK (time_zone IS NULL OR pattern IS NOT NULL),
    CHECK (end_at IS NULL OR start_at IS NULL OR end_at >= start_at),
    CHECK (kind <> 'property-import' OR source_import_id IS NOT NULL),
    CHECK (kind <> 'agent-run' OR (agent_id IS NOT NULL AND prompt IS NOT NULL)),
    CHECK (kind <> 'notification' OR (intervention_id IS NOT NULL AND event IS NOT NULL)),
    -- Deleting what a schedule runs on deletes the schedule (its scheduler then removes itself).
    FOREIGN KEY (tenant_id, source_import_id) REFERENCES immo_app.property_imports (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agent_app.agents (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, intervention_id) REFERENCES inter_app.interventions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX job_schedules_tenant ON public.job_schedules (tenant_id, created_at);
CREATE INDEX job_schedules_import ON public.job_schedules (tenant_id, source_import_id) WHERE source_import_id IS NOT NULL;
CREATE INDEX job_schedules_agent ON public.job_schedules (tenant_id, agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX job_schedules_intervention ON public.job_schedules (tenant_id, intervention_id) WHERE intervention_id IS NOT NULL;

ALTER TABLE public.job_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.job_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.job_schedules
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON public.job_schedules TO obotcall_runtime;

-- Redis can lose a scheduler (a flush, a failover without its last writes); the API's schedule
-- reconciler puts back every scheduler a row has and Redis lacks. It reads across tenants through
-- this function only, which runs as the owner (the role running this migration), whom this
-- policy (and none other) lets read every row. Keyset-paged by id.
CREATE POLICY schedule_reconciler ON public.job_schedules FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION public.schedules_page(p_after uuid, p_limit integer)
    RETURNS SETOF public.job_schedules
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    SELECT * FROM public.job_schedules s
    WHERE p_after IS NULL OR s.id > p_after
    ORDER BY s.id
    LIMIT least(greatest(p_limit, 1), 10000)
$$;
REVOKE ALL ON FUNCTION public.schedules_page(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.schedules_page(uuid, integer) TO obotcall_runtime;
