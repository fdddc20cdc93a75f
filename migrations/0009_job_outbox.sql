-- The record of what the API promised: every job it accepts is written here in the same
-- transaction (or the same statement) as the domain rows, before it answers 202. The API then
-- adds the job to Redis itself; a relay re-adds any row Redis does not have (the add was lost to a
-- crash, Redis was down, restarted without its last second, or flushed) under the row's fixed job
-- id, so adding twice is harmless. A relay first looks at a row 30 seconds after it was accepted
-- (by then the API's own add has long landed and most jobs have finished), then at its recheck
-- interval; a row whose job has its final outcome in public.job_results is dropped when it comes
-- due, and any row after the relay's retention.

CREATE TABLE public.job_outbox (
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    queue text NOT NULL CHECK (length(queue) BETWEEN 1 AND 100),
    job_id text NOT NULL CHECK (length(job_id) BETWEEN 1 AND 255),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- The job's data and its BullMQ options (`opts`), as JSON text exactly as they go to Redis.
    data text NOT NULL,
    options text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When a relay last made sure Redis has the job (NULL: never), and when one should next.
    checked_at timestamptz,
    due_at timestamptz NOT NULL DEFAULT now() + interval '30 seconds',
    PRIMARY KEY (tenant_id, queue, job_id)
);
CREATE INDEX job_outbox_due ON public.job_outbox (due_at);
CREATE INDEX job_outbox_created ON public.job_outbox (created_at);

ALTER TABLE public.job_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.job_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.job_outbox
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());
-- The relay works across tenants, through the two functions below only; they run as the owner
-- (the role running this migration), whom these policies (and none other) let see every row.
CREATE POLICY outbox_relay ON public.job_outbox TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY outbox_relay_reads_results ON public.job_results FOR SELECT TO CURRENT_USER USING (true);

GRANT SELECT, INSERT ON public.job_outbox TO obotcall_runtime;

-- Rows a relay should make sure of now (due), claimed for it: each comes due again
-- `p_recheck_every` later, so relays in several processes share the work (SKIP LOCKED) and a relay
-- that dies mid-batch leaves its rows for the next round. Due rows whose job has its final outcome
-- recorded are deleted instead of returned.
CREATE FUNCTION public.outbox_claim(p_limit integer, p_recheck_every interval)
    RETURNS TABLE (tenant_id uuid, queue text, job_id text, name text, data text, options text, rechecked boolean)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    WITH due AS (
        SELECT o.tenant_id, o.queue, o.job_id, o.checked_at IS NOT NULL AS rechecked,
               EXISTS (
                   SELECT 1 FROM public.job_results r
                   WHERE r.tenant_id = o.tenant_id AND r.queue = o.queue AND r.job_id = o.job_id
                     AND r.state IN ('completed', 'failed')) AS finished
        FROM public.job_outbox o
        WHERE o.due_at <= now()
        ORDER BY o.due_at
        LIMIT least(greatest(p_limit, 1), 10000)
        FOR UPDATE OF o SKIP LOCKED
    ), finished AS (
        DELETE FROM public.job_outbox o USING due
        WHERE due.finished AND o.tenant_id = due.tenant_id AND o.queue = due.queue AND o.job_id = due.job_id
    )
    UPDATE public.job_outbox o SET checked_at = now(), due_at = now() + p_recheck_every
    FROM due
    WHERE NOT due.finished AND o.tenant_id = due.tenant_id AND o.queue = due.queue AND o.job_id = due.job_id
    RETURNING o.tenant_id, o.queue, o.job_id, o.name, o.data, o.options, due.rechecked
$$;

-- Drops rows older than `p_keep` (a job that has not finished by then is the stalled check's and
-- the operators' business), at most `p_limit` per call. Returns how many went.
CREATE FUNCTION public.outbox_prune(p_keep interval, p_limit integer)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    WITH gone AS (
        DELETE FROM public.job_outbox o
        WHERE (o.tenant_id, o.queue, o.job_id) IN (
            SELECT x.tenant_id, x.queue, x.job_id FROM public.job_outbox x
            WHERE x.created_at < now() - p_keep
            ORDER BY x.created_at
            LIMIT least(greatest(p_limit, 1), 100000)
            FOR UPDATE SKIP LOCKED)
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION public.outbox_claim(integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.outbox_prune(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.outbox_claim(integer, interval) TO obotcall_runtime;
GRANT EXECUTE ON FUNCTION public.outbox_prune(interval, integer) TO obotcall_runtime;

-- A notification accepted in one statement: the tenant's intervention must exist, and the job is
-- recorded in the outbox with it (the API's enqueue costs one round trip). Sets the tenant as the
-- read functions of 0006 do; returns whether the intervention was found (nothing is written when
-- it was not).
CREATE FUNCTION inter_app.enqueue_notification(
    p_tenant uuid, p_intervention uuid, p_queue text, p_job_id text, p_name text, p_data text, p_options text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    AS $$
DECLARE
    previous text := current_setting('app.tenant_id', true);
    ignored text;
    found_it boolean;
BEGIN
    ignored := set_config('app.tenant_id', p_tenant::text, true);
    found_it := EXISTS (SELECT 1 FROM inter_app.interventions WHERE id = p_intervention);
    IF found_it THEN
        INSERT INTO public.job_outbox (tenant_id, queue, job_id, name, data, options)
        VALUES (p_tenant, p_queue, p_job_id, p_name, p_data, p_options);
    END IF;
    ignored := set_config('app.tenant_id', coalesce(previous, ''), true);
    RETURN found_it;
END
$$;
REVOKE ALL ON FUNCTION inter_app.enqueue_notification(uuid, uuid, text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inter_app.enqueue_notification(uuid, uuid, text, text, text, text, text) TO obotcall_runtime;

-- Delivery state belongs to a tenant's job: keyed with the tenant, a job id another tenant (or an
-- older deployment) used can never make a new notification look settled.
ALTER TABLE inter_app.notifications DROP CONSTRAINT notifications_queue_job_id_endpoint_id_key;
ALTER TABLE inter_app.notifications ADD CONSTRAINT notifications_tenant_job_endpoint_key
    UNIQUE NULLS NOT DISTINCT (tenant_id, queue, job_id, endpoint_id);
