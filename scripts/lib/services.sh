# Shared shell functions of scripts/dev, scripts/test and scripts/services: install, start, reuse
# and stop the Redis and PostgreSQL servers of one data directory, on loopback, without Docker.
# Source this file; every function is prefixed `svc_`.

svc_log() { printf '\033[1;34m[obotcall]\033[0m %s\n' "$*" >&2; }
svc_die() { printf '\033[1;31m[obotcall] error:\033[0m %s\n' "$*" >&2; exit 1; }

svc_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        svc_die "need root to run: $* (install it by hand or run as root)"; fi
}

# Wait up to 10 minutes for another apt or dpkg (a second script installing at the same time)
# to let go of its lock instead of failing at once.
svc_apt_lock="-o DPkg::Lock::Timeout=600"
svc_apt_updated=""
svc_apt_install() {
    if [ -z "$svc_apt_updated" ]; then
        svc_log "apt-get update"
        svc_as_root env DEBIAN_FRONTEND=noninteractive apt-get $svc_apt_lock update -qq >/dev/null || svc_die "apt-get update failed"
        svc_apt_updated=1
    fi
    svc_log "installing $*"
    svc_as_root env DEBIAN_FRONTEND=noninteractive apt-get $svc_apt_lock install -y -qq --no-install-recommends "$@" >/dev/null \
        || svc_die "apt-get install $* failed"
}

# redis-server and redis-cli on PATH, installed from Debian when missing.
svc_ensure_redis_installed() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        svc_apt_install redis-server
    fi
}

# Sets PG_BIN to a PostgreSQL (>= 15) server bin directory, installing Debian's when missing.
svc_ensure_postgres_installed() {
    PG_BIN=""
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || continue
        version=$(basename "$(dirname "$dir")")
        [ "${version%%.*}" -ge 15 ] 2>/dev/null && PG_BIN="$dir"
    done
    if [ -z "$PG_BIN" ]; then
        svc_apt_install postgresql postgresql-client
        for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && PG_BIN="$dir"; done
    fi
    [ -n "$PG_BIN" ] || svc_die "no PostgreSQL server found under /usr/lib/postgresql after installing"
    command -v psql >/dev/null || svc_apt_install postgresql-client
}

# PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
svc_pg_user=""
svc_pg() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || svc_as_root useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# svc_start_redis DIR PORT — start (or reuse) the Redis server whose data lives in DIR.
# Sets SVC_STARTED=1 when it started a server, 0 when it reused a running one.
svc_start_redis() {
    SVC_STARTED=0
    local dir=$1 port=$2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null \
        && redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        svc_log "reusing Redis on 127.0.0.1:$port (pid $(cat "$dir/redis.pid")); it keeps running afterwards"
        return 0
    fi
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
        svc_die "port $port already has a Redis that this script did not start; stop it or choose another port"
    fi
    cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $port
daemonize no
dir $dir
appendonly yes
appendfsync everysec
maxmemory ${REDIS_MAXMEMORY:-1gb}
maxmemory-policy noeviction
save ""
logfile $dir/redis.log
pidfile $dir/redis.pid
CONF
    setsid nohup redis-server "$dir/redis.conf" >/dev/null 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && { svc_log "Redis up on 127.0.0.1:$port"; SVC_STARTED=1; return 0; }
        sleep 0.1
    done
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null
    svc_die "Redis did not start on port $port (log: $dir/redis.log)"
}

svc_stop_redis() {
    local dir=$1 port=$2
    [ -f "$dir/redis.pid" ] || return 0
    local pid
    pid=$(cat "$dir/redis.pid")
    if kill -0 "$pid" 2>/dev/null; then
        redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        svc_log "Redis on port $port stopped"
    fi
    rm -f "$dir/redis.pid"
}

# svc_start_postgres DIR PORT [fast] — init (once), start (or reuse) PostgreSQL with data in DIR.
# "fast" turns fsync off: for throw-away test clusters only. Sets SVC_STARTED like svc_start_redis.
svc_start_postgres() {
    SVC_STARTED=0
    local dir=$1 port=$2 mode=${3:-}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir" 2>/dev/null
    if svc_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        if "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -q; then
            svc_log "reusing PostgreSQL on 127.0.0.1:$port; it keeps running afterwards"
            return 0
        fi
        svc_die "the PostgreSQL of $dir runs but not on port $port; stop it with scripts/services stop"
    fi
    if "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
        svc_die "port $port already has a PostgreSQL that this script did not start; stop it or choose another port"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        svc_log "initialising PostgreSQL cluster in $dir/data"
        svc_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
            --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; svc_die "initdb failed"; }
    fi
    local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=400"
    [ "$mode" = fast ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    svc_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$opts" start >/dev/null \
        || { tail -n 20 "$dir/postgres.log" >&2; svc_die "PostgreSQL did not start on port $port (log: $dir/postgres.log)"; }
    svc_log "PostgreSQL up on 127.0.0.1:$port"
    SVC_STARTED=1
}

svc_stop_postgres() {
    local dir=$1
    [ -f "$dir/data/PG_VERSION" ] || return 0
    if svc_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        svc_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && svc_log "PostgreSQL of $dir stopped"
    fi
}

# svc_bootstrap_postgres PORT DATABASE OWNER_PASSWORD APP_PASSWORD — roles and database (idempotent).
svc_bootstrap_postgres() {
    local port=$1 database=$2 owner_pw=$3 app_pw=$4 root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -v owner_password="$owner_pw" -v app_password="$app_pw" -v database="$database" \
        -f "$root/deploy/postgres-roles.sql" >/dev/null || svc_die "creating roles and database failed"
}
