-- Model spend per tenant: tokens used per UTC day, and the tenant's daily and monthly budgets.
-- Workers add each model response's tokens in the transaction that journals the response, and
-- check the budgets before every model call; tenants read their usage. Budgets are set by the
-- platform (`obotcall tenant budget`, as the owner role): the runtime role may only read them.

CREATE TABLE agent_app.token_budgets (
    tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
    -- NULL: no limit of that kind for this tenant.
    daily_tokens bigint CHECK (daily_tokens >= 0),
    monthly_tokens bigint CHECK (monthly_tokens >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_app.token_usage (
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    day date NOT NULL,
    tokens bigint NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    PRIMARY KEY (tenant_id, day)
);

ALTER TABLE agent_app.token_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_app.token_budgets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_app.token_budgets
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE agent_app.token_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_app.token_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_app.token_usage
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT SELECT ON agent_app.token_budgets TO obotcall_runtime;
GRANT SELECT, INSERT, UPDATE ON agent_app.token_usage TO obotcall_runtime;
