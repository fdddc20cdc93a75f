#!/bin/sh
# Run by the postgres image on first start (docker-entrypoint-initdb.d): creates the owner and
# runtime roles and the obotcall database.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$OBOTCALL_OWNER_PASSWORD" -v app_password="$OBOTCALL_APP_PASSWORD" -v database=obotcall \
    -f /obotcall/postgres-roles.sql
