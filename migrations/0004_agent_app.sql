-- AI agents, their runs, and each run's durable journal of steps.

CREATE TABLE agent_app.agents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    instructions text NOT NULL DEFAULT '',
    provider text NOT NULL CHECK (provider IN ('openai', 'scripted')),
    model text NOT NULL,
    tools text[] NOT NULL DEFAULT '{}',
    max_steps integer NOT NULL DEFAULT 10 CHECK (max_steps BETWEEN 1 AND 200),
    max_tokens integer NOT NULL DEFAULT 20000 CHECK (max_tokens > 0),
    timeout_seconds integer NOT NULL DEFAULT 300 CHECK (timeout_seconds BETWEEN 1 AND 86400),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);

CREATE TABLE agent_app.agent_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    input jsonb NOT NULL DEFAULT '{}'::jsonb,
    output text,
    error text,
    step_count integer NOT NULL DEFAULT 0,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    job_id text,
    cancel_requested_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agent_app.agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_runs_agent ON agent_app.agent_runs (tenant_id, agent_id, created_at DESC);

-- The journal: appended before the next step starts, so a resumed run replays instead of repeating.
CREATE TABLE agent_app.agent_run_steps (
    tenant_id uuid NOT NULL,
    run_id uuid NOT NULL,
    seq integer NOT NULL CHECK (seq >= 1),
    kind text NOT NULL CHECK (kind IN ('model_response', 'tool_call', 'tool_result', 'error')),
    payload jsonb NOT NULL,
    prompt_tokens integer NOT NULL DEFAULT 0,
    completion_tokens integer NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq),
    FOREIGN KEY (tenant_id, run_id) REFERENCES agent_app.agent_runs (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE agent_app.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_app.agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_app.agents
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE agent_app.agent_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_app.agent_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_app.agent_runs
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE agent_app.agent_run_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_app.agent_run_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_app.agent_run_steps
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA agent_app TO obotcall_runtime;
