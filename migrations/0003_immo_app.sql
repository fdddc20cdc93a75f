-- Real estate: properties and the imports that create or update them in bulk.

-- An uploaded import. The source file lives here (not in Redis); the job carries only the id.
CREATE TABLE immo_app.property_imports (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    format text NOT NULL CHECK (format IN ('csv', 'json')),
    source bytea NOT NULL,
    source_size integer NOT NULL CHECK (source_size >= 0),
    total_rows integer NOT NULL DEFAULT 0,
    inserted integer NOT NULL DEFAULT 0,
    updated integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0,
    -- Batches already committed: a retried import skips them.
    committed_batches integer NOT NULL DEFAULT 0,
    row_errors jsonb NOT NULL DEFAULT '[]'::jsonb,
    error text,
    job_id text,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    UNIQUE (tenant_id, id)
);

CREATE TABLE immo_app.properties (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    external_ref text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 100),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    property_type text NOT NULL CHECK (property_type IN ('apartment', 'house', 'land', 'commercial', 'parking', 'other')),
    price numeric(14, 2) CHECK (price >= 0),
    surface numeric(10, 2) CHECK (surface > 0),
    rooms integer CHECK (rooms >= 0),
    postal_code text,
    city text,
    address text,
    import_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, external_ref),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, import_id) REFERENCES immo_app.property_imports (tenant_id, id) ON DELETE SET NULL (import_id)
);
CREATE INDEX properties_tenant_city ON immo_app.properties (tenant_id, city);
CREATE INDEX properties_tenant_type_price ON immo_app.properties (tenant_id, property_type, price);

ALTER TABLE immo_app.property_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE immo_app.property_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON immo_app.property_imports
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE immo_app.properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE immo_app.properties FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON immo_app.properties
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA immo_app TO obotcall_runtime;
