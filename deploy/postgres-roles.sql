-- Roles and database of Obotcall jobs. Run once per PostgreSQL cluster by a superuser
-- (scripts/services does it for development and tests; the postgres container runs it from
-- /docker-entrypoint-initdb.d). Idempotent.
--
--   obotcall_owner    owns the schemas and runs `obotcall migrate`
--   obotcall_runtime  NOLOGIN group that migrations grant data privileges to
--   obotcall_app      the login role api and worker use: member of obotcall_runtime,
--                     NOSUPERUSER and NOBYPASSRLS, so row-level security always applies
--
-- Passwords come from psql variables: psql -v owner_password=… -v app_password=…

SELECT format('CREATE ROLE obotcall_owner LOGIN PASSWORD %L', :'owner_password')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'obotcall_owner') \gexec
SELECT 'CREATE ROLE obotcall_runtime NOLOGIN NOSUPERUSER NOBYPASSRLS'
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'obotcall_runtime') \gexec
SELECT format('CREATE ROLE obotcall_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD %L IN ROLE obotcall_runtime', :'app_password')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'obotcall_app') \gexec
ALTER ROLE obotcall_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
ALTER ROLE obotcall_owner NOSUPERUSER NOBYPASSRLS;
SELECT format('CREATE DATABASE %I OWNER obotcall_owner', :'database')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
