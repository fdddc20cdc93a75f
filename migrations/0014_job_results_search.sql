-- The admin dashboard's job search: by job id, by name, by a piece of the failure reason, newest
-- first, in the rows workers keep in public.job_results (Redis is never scanned for it).
--
-- `job_results_find` runs as its caller: the runtime role calls it inside `withTenant`, and
-- row-level security keeps the answer to that tenant. Platform admins search every tenant through
-- `job_results_find_any`, which runs as the owner (allowed to read every result since 0009).

-- Trigram matching makes `error ILIKE '%…%'` an index search; only rows with an error are indexed.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX job_results_error_text ON public.job_results USING gin (error gin_trgm_ops) WHERE error IS NOT NULL;
CREATE INDEX job_results_job_id ON public.job_results (job_id);
CREATE INDEX job_results_name ON public.job_results (name, updated_at DESC);

CREATE FUNCTION public.job_results_find(
    p_tenant uuid, p_queue text, p_job_id text, p_name text, p_text text, p_state text, p_limit integer, p_offset integer)
    RETURNS TABLE (
        tenant_id uuid, queue text, job_id text, name text, state text, attempts integer, error text,
        enqueued_at timestamptz, finished_at timestamptz, updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, public
    AS $$
    SELECT r.tenant_id, r.queue, r.job_id, r.name, r.state, r.attempts, left(r.error, 2000),
        r.enqueued_at, r.finished_at, r.updated_at
    FROM public.job_results r
    WHERE (p_tenant IS NULL OR r.tenant_id = p_tenant)
        AND (p_queue IS NULL OR r.queue = p_queue)
        AND (p_job_id IS NULL OR r.job_id = p_job_id)
        AND (p_name IS NULL OR r.name = p_name)
        AND (p_state IS NULL OR r.state = p_state)
        -- The text is matched literally: LIKE's wildcards and escape in it are escaped.
        AND (p_text IS NULL OR (r.error IS NOT NULL
            AND r.error ILIKE '%' || replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_') || '%'))
    ORDER BY r.updated_at DESC, r.queue, r.job_id
    LIMIT least(greatest(p_limit, 1), 200) OFFSET least(greatest(p_offset, 0), 100000)
$$;
REVOKE ALL ON FUNCTION public.job_results_find(uuid, text, text, text, text, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.job_results_find(uuid, text, text, text, text, text, integer, integer) TO obotcall_runtime;

CREATE FUNCTION public.job_results_find_any(
    p_tenant uuid, p_queue text, p_job_id text, p_name text, p_text text, p_state text, p_limit integer, p_offset integer)
    RETURNS TABLE (
        tenant_id uuid, queue text, job_id text, name text, state text, attempts integer, error text,
        enqueued_at timestamptz, finished_at timestamptz, updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    SELECT * FROM public.job_results_find(p_tenant, p_queue, p_job_id, p_name, p_text, p_state, p_limit, p_offset)
$$;
REVOKE ALL ON FUNCTION public.job_results_find_any(uuid, text, text, text, text, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.job_results_find_any(uuid, text, text, text, text, text, integer, integer) TO obotcall_runtime;
