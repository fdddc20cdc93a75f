-- Notifications accepted in batches: the API groups concurrent enqueues (of any tenants) into one
-- statement — one round trip, one commit and one function call for many outbox rows. The rows
-- are inserted tenant by tenant, each under its own tenant's setting, so row-level security
-- checks every row against its own tenant: a row is recorded only when the intervention it
-- names exists for that tenant. The statement returns the job ids it recorded, so the API
-- answers 404 for the others. The one-row function of 0009 stays for API instances of the
-- previous version still running during a rolling deploy.

CREATE FUNCTION inter_app.enqueue_notifications(
    p_queue text, p_name text,
    p_tenants uuid[], p_interventions uuid[], p_job_ids text[], p_data text[], p_options text[])
    RETURNS SETOF text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    AS $$
DECLARE
    previous text := current_setting('app.tenant_id', true);
    ignored text;
    n_rows integer := cardinality(p_job_ids);
    tenant uuid;
BEGIN
    IF cardinality(p_tenants) <> n_rows OR cardinality(p_interventions) <> n_rows
        OR cardinality(p_data) <> n_rows OR cardinality(p_options) <> n_rows THEN
        RAISE EXCEPTION 'enqueue_notifications: the five arrays must have one entry per notification'
            USING ERRCODE = '22023';
    END IF;
    FOR tenant IN SELECT DISTINCT t FROM unnest(p_tenants) AS t LOOP
        ignored := set_config('app.tenant_id', tenant::text, true);
        -- Row-level security limits the check (and the insert) to this tenant's rows.
        RETURN QUERY
        INSERT INTO public.job_outbox AS o (tenant_id, queue, job_id, name, data, options)
        SELECT tenant, p_queue, n.job_id, p_name, n.data, n.options
        FROM unnest(p_tenants, p_interventions, p_job_ids, p_data, p_options)
            AS n (tenant_id, intervention_id, job_id, data, options)
        WHERE n.tenant_id = tenant
          AND EXISTS (SELECT 1 FROM inter_app.interventions i WHERE i.id = n.intervention_id)
        RETURNING o.job_id;
    END LOOP;
    ignored := set_config('app.tenant_id', coalesce(previous, ''), true);
END
$$;
REVOKE ALL ON FUNCTION inter_app.enqueue_notifications(text, text, uuid[], uuid[], text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inter_app.enqueue_notifications(text, text, uuid[], uuid[], text[], text[], text[]) TO obotcall_runtime;

-- Job ids as the queue takes them (Queue.validate): 1 to 256 bytes. 0009 allowed 255 characters,
-- so a 256-byte id passed the queue's check and then failed the insert.
ALTER TABLE public.job_outbox DROP CONSTRAINT job_outbox_job_id_check;
ALTER TABLE public.job_outbox ADD CONSTRAINT job_outbox_job_id_check CHECK (octet_length(job_id) BETWEEN 1 AND 256);
