-- Core platform tables: tenants, users and their roles per tenant, and the generic job results.
--
-- Runs as the owner role. The runtime role `obotcall_runtime` (NOSUPERUSER, NOBYPASSRLS; created
-- by deploy/postgres-roles.sql) gets data privileges only, so every read and write it makes goes
-- through the row-level security policies below.

CREATE SCHEMA IF NOT EXISTS inter_app;
CREATE SCHEMA IF NOT EXISTS immo_app;
CREATE SCHEMA IF NOT EXISTS agent_app;

-- The tenant the current transaction acts for, or NULL when none is set. `withTenant` sets it
-- with set_config('app.tenant_id', …, true); an empty string (the value a pooled connection keeps
-- after such a transaction) means none, so policies see no rows instead of failing on the cast.
CREATE FUNCTION public.current_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE public.tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Secret used to sign outbound webhooks (HMAC-SHA256); never returned by the API.
    webhook_secret text NOT NULL DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.tenants
    USING (id = public.current_tenant_id())
    WITH CHECK (id = public.current_tenant_id());

-- A person, as known to the identity provider (Supabase auth user id). Visible to a tenant only
-- when the user holds a role in it.
CREATE TABLE public.users (
    id uuid PRIMARY KEY,
    email text,
    display_name text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.user_tenant_roles (
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    -- Deferred: a member's role is written before the user record, which only becomes visible
    -- (and insertable with ON CONFLICT) to the tenant once the role exists.
    user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX user_tenant_roles_user ON public.user_tenant_roles (user_id);
ALTER TABLE public.user_tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_tenant_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.user_tenant_roles
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_members ON public.users FOR SELECT
    USING (EXISTS (
        SELECT 1 FROM public.user_tenant_roles r
        WHERE r.user_id = users.id AND r.tenant_id = public.current_tenant_id()));
-- Creating a user record is allowed (only the owner role holds INSERT); it becomes visible to a
-- tenant once it has a role there.
CREATE POLICY users_insert ON public.users FOR INSERT WITH CHECK (true);

-- One row per job the platform ran, written by the worker in the same transaction as the
-- handler's own effects; keyed by (queue, job_id) so a job that runs twice leaves one row.
CREATE TABLE public.job_results (
    tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    queue text NOT NULL,
    job_id text NOT NULL,
    name text NOT NULL,
    state text NOT NULL CHECK (state IN ('active', 'completed', 'failed', 'retrying')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    result jsonb,
    error text,
    worker_id text,
    enqueued_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue, job_id)
);
CREATE INDEX job_results_tenant ON public.job_results (tenant_id, queue, updated_at DESC);
ALTER TABLE public.job_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.job_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.job_results
    USING (tenant_id = public.current_tenant_id())
    WITH CHECK (tenant_id = public.current_tenant_id());

GRANT USAGE ON SCHEMA public, inter_app, immo_app, agent_app TO obotcall_runtime;
GRANT EXECUTE ON FUNCTION public.current_tenant_id() TO obotcall_runtime;
GRANT SELECT ON public.tenants, public.users TO obotcall_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.user_tenant_roles, public.job_results TO obotcall_runtime;
