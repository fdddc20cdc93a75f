-- Single-round-trip tenant reads for the API's hot paths.
--
-- `withTenant` needs four round trips (BEGIN, set_config, the read, COMMIT) because the client
-- sends every statement on its own; a read that must answer in a fraction of a millisecond calls
-- one of these functions instead, as one autocommit statement. Each function
--   * runs as the caller (SECURITY INVOKER): the runtime role's row-level security still applies;
--   * sets app.tenant_id itself before reading, so the policies see exactly the tenant passed in;
--   * puts the caller's value back before returning (a failure aborts the transaction, which
--     discards the setting anyway): called inside another tenant's transaction, it leaves that
--     tenant in place; called on its own, the setting ends with the statement's transaction.

-- The tenant's intervention `p_id`, or NULL. A single composite rather than SETOF: no tuplestore
-- per call (callers select `* FROM … WHERE id IS NOT NULL`).
CREATE FUNCTION inter_app.tenant_intervention(p_tenant uuid, p_id uuid)
    RETURNS inter_app.interventions
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    AS $$
DECLARE
    previous text := current_setting('app.tenant_id', true);
    ignored text;
    found_row inter_app.interventions;
BEGIN
    -- Assignments rather than PERFORM: PL/pgSQL evaluates them without starting a query.
    ignored := set_config('app.tenant_id', p_tenant::text, true);
    SELECT * INTO found_row FROM inter_app.interventions WHERE id = p_id;
    ignored := set_config('app.tenant_id', coalesce(previous, ''), true);
    RETURN found_row;
END
$$;

REVOKE ALL ON FUNCTION inter_app.tenant_intervention(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inter_app.tenant_intervention(uuid, uuid) TO obotcall_runtime;
