#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg-test-cluster.sh start   # idempotent; last stdout line is the URL
#   scripts/pg-test-cluster.sh env     # prints: export YICHUANG_TEST_PG_URL=...
#   scripts/pg-test-cluster.sh url
#   scripts/pg-test-cluster.sh ca      # path of the server's TLS certificate
#   scripts/pg-test-cluster.sh stop    # stops it and deletes its directory
#
# The cluster lives in $YICHUANG_PG_DIR (default /tmp/yichuang-pg-test), listens
# on 127.0.0.1 only, on a free port, with trust auth, and runs as a non-root
# user (postgres if present, else a created `yichuang-pg`). fsync is off: the
# data is disposable and tests should not wait on the disk.
set -euo pipefail

DIR="${YICHUANG_PG_DIR:-/tmp/yichuang-pg-test}"
DATA="$DIR/data"
CMD="${1:-start}"

log() { echo "pg-test-cluster: $*" >&2; }

find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

ensure_installed() {
    if find_bindir >/dev/null; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        log "PostgreSQL is not installed and we are not root to apt-get it"; exit 1
    fi
    log "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    find_bindir >/dev/null || { log "PostgreSQL still missing after apt-get"; exit 1; }
}

run_user() {
    if [ "$(id -u)" -ne 0 ]; then echo ""; return; fi
    if id postgres >/dev/null 2>&1; then echo postgres; return; fi
    id yichuang-pg >/dev/null 2>&1 || useradd --system --no-create-home yichuang-pg
    echo yichuang-pg
}

as_user() {
    local u; u="$(run_user)"
    if [ -n "$u" ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$(( 20000 + RANDOM % 30000 ))
        if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    log "no free port found"; exit 1
}

url() { echo "postgres://postgres@127.0.0.1:$(cat "$DIR/port")/postgres"; }

running() {
    local bin; bin="$(find_bindir)" || return 1
    [ -f "$DATA/PG_VERSION" ] && [ -f "$DIR/port" ] && as_user "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

# TLS for the tests of the county's encrypted database link: a self-signed
# certificate for 127.0.0.1, its copy at $DIR/ca.crt. Idempotent; turns TLS on
# in a cluster started without it.
ensure_ssl() {
    local bin; bin="$(find_bindir)"
    [ -f "$DIR/ca.crt" ] && return 0
    command -v openssl >/dev/null || { log "openssl missing"; return 1; }
    # A CA of its own signs the server's certificate (a CA certificate may
    # not serve as the server's own).
    local tmp; tmp="$(mktemp -d)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=yichuang test CA" \
        -keyout "$tmp/ca.key" -out "$tmp/ca.crt" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$DATA/server.key" -out "$tmp/server.csr" >/dev/null 2>&1
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tmp/ext"
    openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tmp/ext" -out "$DATA/server.crt" >/dev/null 2>&1
    cp "$tmp/ca.crt" "$DIR/ca.crt.new"
    rm -rf "$tmp"
    local u; u="$(run_user)"
    [ -n "$u" ] && chown "$u" "$DATA/server.key" "$DATA/server.crt"
    chmod 600 "$DATA/server.key"
    grep -q '^ssl = on' "$DATA/postgresql.conf" || echo "ssl = on" >>"$DATA/postgresql.conf"
    if running; then as_user "$bin/pg_ctl" -D "$DATA" reload >&2; sleep 0.5; fi
    mv "$DIR/ca.crt.new" "$DIR/ca.crt"
    chmod 644 "$DIR/ca.crt"
}

start() {
    ensure_installed
    local bin; bin="$(find_bindir)"
    if running; then ensure_ssl; url; return 0; fi
    # A lock so two test binaries starting at once make one cluster.
    mkdir -p "$(dirname "$DIR")"
    exec 9>"$DIR.lock"
    flock 9
    if running; then url; return 0; fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    local u; u="$(run_user)"
    [ -n "$u" ] && chown "$u" "$DIR"
    local port; port="$(free_port)"
    echo "$port" >"$DIR/port"
    as_user "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    ensure_ssl
    as_user "$bin/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$DIR -c fsync=off -c max_connections=300" \
        start >&2 9>&- || { cat "$DIR/server.log" >&2; exit 1; }
    log "started in $DIR on port $port"
    url
}

stop() {
    local bin
    if bin="$(find_bindir)" && [ -f "$DATA/PG_VERSION" ]; then
        as_user "$bin/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
    fi
    rm -rf "$DIR" "$DIR.lock"
}

case "$CMD" in
    start) start ;;
    env) echo "export YICHUANG_TEST_PG_URL=$(start | tail -n1)" ;;
    url) running && url || { log "not running"; exit 1; } ;;
    ca) echo "$DIR/ca.crt" ;;
    stop) stop ;;
    *) echo "usage: $0 start|env|url|ca|stop" >&2; exit 2 ;;
esac
