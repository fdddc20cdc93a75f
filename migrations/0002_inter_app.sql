-- Interventions (field-service visits) and the webhook notifications sent about them.
-- Child rows reference their parent by (tenant_id, id): a row can never point at another
-- tenant's parent, even though foreign-key checks themselves ignore row-level security.

CREATE TABLE inter_app.interventions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text,
    status text NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('draft', 'scheduled', 'en_route', 'in_progress', 'completed', 'cancelled')),
    scheduled_at timestamptz,
    technician text,
    address text,
    customer jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, reference)
);
CREATE INDEX interventions_tenant_scheduled ON inter_app.interventions (tenant_id, scheduled_at);

-- Where a tenant wants intervention events delivered.
CREATE TABLE inter_app.webhook_endpoints (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    url text NOT NULL CHECK (url ~ '^https?://'),
    events text[] NOT NULL DEFAULT ARRAY['scheduled', 'rescheduled', 'en_route', 'completed', 'cancelled'],
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);

-- One row per (job, endpoint): the delivery attempt chain of one notification job.
CREATE TABLE inter_app.notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    intervention_id uuid NOT NULL,
    endpoint_id uuid,
    queue text NOT NULL,
    job_id text NOT NULL,
    event text NOT NULL CHECK (event IN ('scheduled', 'rescheduled', 'en_route', 'completed', 'cancelled')),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'retrying', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    response_code integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, intervention_id) REFERENCES inter_app.interventions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES inter_app.webhook_endpoints (tenant_id, id) ON DELETE SET NULL (endpoint_id),
    UNIQUE NULLS NOT DISTINCT (queue, job_id, endpoint_id)
);
CREATE INDEX notifications_intervention ON inter_app.notifications (tenant_id, intervention_id, created_at DESC);

ALTER TABLE inter_app.interventions ENABLE ROW LEVEL SECURITY;
ALTER TABLE inter_app.interventions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inter_app.interventions
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE inter_app.webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE inter_app.webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inter_app.webhook_endpoints
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE inter_app.notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE inter_app.notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inter_app.notifications
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA inter_app TO obotcall_runtime;
