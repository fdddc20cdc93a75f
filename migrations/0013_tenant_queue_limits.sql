-- Per-tenant limits in a queue (fair queues, issue 16): a tenant's weight, concurrency and rate
-- limit in a fair queue, its cap on pending jobs, and whether an admin paused its jobs there.
-- PostgreSQL keeps them; Redis mirrors them for the queue scripts (B:tl:<tenant>), written by
-- the API after each change and restored by its reconciler through tenant_limits_page.
-- NULL: the queue's default. Platform admins set the limits; tenant admins pause and resume
-- their own tenant (the API decides who writes what; RLS keeps every tenant to its rows).

CREATE TABLE public.tenant_queue_limits (
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    queue text NOT NULL CHECK (length(queue) BETWEEN 1 AND 100),
    weight integer CHECK (weight BETWEEN 1 AND 1000),
    concurrency integer CHECK (concurrency BETWEEN 1 AND 100000),
    rate_max integer CHECK (rate_max BETWEEN 1 AND 1000000),
    rate_duration_ms integer CHECK (rate_duration_ms BETWEEN 1 AND 86400000),
    max_pending integer CHECK (max_pending BETWEEN 1 AND 100000000),
    paused boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, queue),
    CHECK ((rate_max IS NULL) = (rate_duration_ms IS NULL))
);

ALTER TABLE public.tenant_queue_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_queue_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.tenant_queue_limits
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON public.tenant_queue_limits TO obotcall_runtime;

-- The reconciler's read across tenants, a page at a time in key order. The functions below run
-- as their owner (the migrating role), which the forced RLS would hold to no tenant: it may read.
CREATE POLICY tenant_limits_reconciler ON public.tenant_queue_limits FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY usage_reader ON agent_app.token_usage FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION public.tenant_limits_page(p_after_tenant uuid, p_after_queue text, p_limit integer)
    RETURNS SETOF public.tenant_queue_limits
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    SELECT * FROM public.tenant_queue_limits l
    WHERE p_after_tenant IS NULL OR (l.tenant_id, l.queue) > (p_after_tenant, p_after_queue)
    ORDER BY l.tenant_id, l.queue
    LIMIT least(greatest(p_limit, 1), 10000)
$$;
REVOKE ALL ON FUNCTION public.tenant_limits_page(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.tenant_limits_page(uuid, text, integer) TO obotcall_runtime;

-- Metering for platform admins: jobs finished per tenant and queue since a time, with their
-- processing time, from public.job_results (the rows kept). Tenants read their own through RLS.
CREATE INDEX job_results_finished ON public.job_results (finished_at) WHERE finished_at IS NOT NULL;
CREATE FUNCTION public.job_usage_since(p_since timestamptz, p_tenant uuid)
    RETURNS TABLE (tenant_id uuid, queue text, completed bigint, failed bigint, processing_ms bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    SELECT r.tenant_id, r.queue,
        count(*) FILTER (WHERE r.state = 'completed'),
        count(*) FILTER (WHERE r.state = 'failed'),
        coalesce(sum(greatest(0, (extract(epoch FROM (r.finished_at - r.started_at)) * 1000)::bigint)), 0)::bigint
    FROM public.job_results r
    WHERE r.finished_at >= p_since AND r.state IN ('completed', 'failed')
        AND (p_tenant IS NULL OR r.tenant_id = p_tenant)
    GROUP BY r.tenant_id, r.queue
    ORDER BY r.tenant_id, r.queue
    LIMIT 10000
$$;
REVOKE ALL ON FUNCTION public.job_usage_since(timestamptz, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.job_usage_since(timestamptz, uuid) TO obotcall_runtime;

-- Model tokens per tenant since a day, for the same admin view.
CREATE FUNCTION public.token_usage_since(p_since date, p_tenant uuid)
    RETURNS TABLE (tenant_id uuid, tokens bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, agent_app
    AS $$
    SELECT u.tenant_id, sum(u.tokens)::bigint
    FROM agent_app.token_usage u
    WHERE u.day >= p_since AND (p_tenant IS NULL OR u.tenant_id = p_tenant)
    GROUP BY u.tenant_id
    ORDER BY u.tenant_id
    LIMIT 10000
$$;
REVOKE ALL ON FUNCTION public.token_usage_since(date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.token_usage_since(date, uuid) TO obotcall_runtime;
