-- The admin dashboard's job search: by job id, by name, by a piece of the failure reason, newest
-- first, in the rows workers keep in public.job_results (Redis is never scanned for it).
--
-- `job_results_find` runs as its caller: the runtime role calls it inside `withTenant`, and
-- row-level security keeps the answer to that tenant. `job_results_find_any` runs as the owner
-- (allowed to read every result since 0009), with the tenant passed explicitly from the verified
-- token (NULL: every tenant, for platform admins): searches by text use it, because under
-- row-level security PostgreSQL does not use the trigram index for ILIKE, which is not leakproof.

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
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    -- Only the given filters go into the statement, which is planned with their values (EXECUTE):
    -- a search by id uses the id's index, one by text the trigram index.
    conditions text := 'true';
BEGIN
    IF p_tenant IS NOT NULL THEN conditions := conditions || ' AND r.tenant_id = $1'; END IF;
    IF p_queue IS NOT NULL THEN conditions := conditions || ' AND r.queue = $2'; END IF;
    IF p_job_id IS NOT NULL THEN conditions := conditions || ' AND r.job_id = $3'; END IF;
    IF p_name IS NOT NULL THEN conditions := conditions || ' AND r.name = $4'; END IF;
    IF p_text IS NOT NULL THEN conditions := conditions || ' AND r.error IS NOT NULL AND r.error ILIKE $5'; END IF;
    IF p_state IS NOT NULL THEN conditions := conditions || ' AND r.state = $6'; END IF;
    RETURN QUERY EXECUTE
        'SELECT r.tenant_id, r.queue, r.job_id, r.name, r.state, r.attempts, left(r.error, 2000),'
        || ' r.enqueued_at, r.finished_at, r.updated_at FROM public.job_results r WHERE ' || conditions
        || ' ORDER BY r.updated_at DESC, r.queue, r.job_id LIMIT $7 OFFSET $8'
    USING p_tenant, p_queue, p_job_id, p_name,
        -- The text is matched literally: LIKE's wildcards and escape in it are escaped.
        '%' || replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_') || '%',
        p_state, least(greatest(p_limit, 1), 200), least(greatest(p_offset, 0), 100000);
END
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
