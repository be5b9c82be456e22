#!/usr/bin/env bash
# Load test: serves a throwaway copy of the suite three ways and drives each with Locust
# (scripts/locustfile.py), headless, bounded in users and time, against 127.0.0.1 only:
#   single   one Odoo process (the demo mode of run.sh)
#   workers  Odoo's multi-process mode (run.sh's production mode)
#   nodes    two multi-process Odoo servers on two ports sharing the database and the filestore,
#            the users spread over both
# Then it checks the database's invariants (scripts/load_data.py) and prints, per mode and
# scenario, requests per second, median and 95th-percentile latency and errors.
# Usage: scripts/load.sh [--modes "single workers nodes"] [--users 20] [--duration 60]
#                        [--workers 2] [--customers 6] [--consultants 6] [--from-db DB] [--self-test]
#   --duration: seconds measured per mode, from when every user has logged in (Locust's run
#   time bounds the whole at that + 120 s + 6 s per user); --workers: HTTP workers per server;
#   --from-db: copy this database (the three addons installed) instead of installing them;
#   --self-test: also break each invariant on purpose and check that the checks notice.
# Exits non-zero when an invariant is broken (errors are reported, not fatal).
source "$(dirname "$0")/lib.sh"

modes="single workers nodes"
users=20
duration=60
workers=2
customers=6
consultants=6
from_db=""
self_test=""
while [ $# -gt 0 ]; do
    case "$1" in
        --modes) modes="$2"; shift 2 ;;
        --users) users="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --customers) customers="$2"; shift 2 ;;
        --consultants) consultants="$2"; shift 2 ;;
        --from-db) from_db="$2"; shift 2 ;;
        --self-test) self_test=1; shift ;;
        *) die "Unknown option $1 (see the usage at the top of scripts/load.sh)" ;;
    esac
done
for value in "$users" "$duration" "$workers" "$customers" "$consultants"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "--users, --duration, --workers, --customers and --consultants take positive numbers."
done
[ "$duration" -le 300 ] && [ "$users" -le 100 ] || die "The load test is bounded: at most 300 s per mode and 100 users."
for mode in $modes; do
    [[ " single workers nodes " == *" $mode "* ]] || die "Unknown mode '$mode' (single, workers, nodes)."
done

find_odoo
ensure_venv
ensure_load_venv
scratch_db support_load "$from_db"
db="$SCRATCH_DB"
conf="$SCRATCH_CONF"
work="$LOCAL/load-$$"
mkdir -p "$work" "$LOCAL/logs"
server_pids=()
# Odoo stops gracefully on a first SIGTERM and at once on a second one.
stop_servers() {
    local pid i
    [ "${#server_pids[@]}" -gt 0 ] || return 0
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for i in $(seq 30); do
        for pid in "${server_pids[@]}"; do kill -0 "$pid" 2>/dev/null && break; done
        kill -0 "$pid" 2>/dev/null || break
        [ "$i" != 10 ] || for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
        [ "$i" != 25 ] || for pid in "${server_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
        sleep 1
    done
    for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    server_pids=()
}
cleanup() {
    stop_servers
    rm -rf "$work"
    scratch_cleanup
}
trap cleanup EXIT

if [ -z "$from_db" ]; then
    log "Installing the three addons into $db"
    odoo_bin -c "$conf" -d "$db" -i "$ADDONS" --stop-after-init --log-level=warn
fi
log "Creating the load test's customers, users and shared tickets"
started=$SECONDS
ODOO="$ODOO" "$VENV/bin/python" "$ROOT/scripts/load_data.py" setup --conf "$conf" --db "$db" \
    --out "$work/data.json" --customers "$customers" --consultants "$consultants"
log "Load data created in $((SECONDS - started)) s"

# Starts one Odoo server on a free port: $1 database, $2 workers (0: one process), $3 log.
start_server() {
    local port node_conf
    port="$(free_port)"
    node_conf="$work/odoo-$port.conf"
    write_odoo_conf "$node_conf" "$port"
    if [ "$2" -gt 0 ]; then
        write_production_conf "$node_conf" "$2" "$(free_port)"
    else
        sed -i 's/^max_cron_threads = .*/max_cron_threads = 1/' "$node_conf"
    fi
    # Started directly (not through a shell function): $! is Odoo's own process.
    "$VENV/bin/python" "$ODOO/odoo-bin" -c "$node_conf" -d "$1" --db-filter="^$1\$" --log-level=warn >>"$3" 2>&1 &
    server_pids+=($!)
    "$VENV/bin/python" - "http://127.0.0.1:$port/web/login" <<'PY' || die "Odoo did not answer on port $port within 120 s (see $3)"
import sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
deadline = time.time() + 120
while True:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=10).read()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(1)
# Warm every worker up (its first request builds its routing map) before the measured run.
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda _i: urllib.request.urlopen(sys.argv[1], timeout=60).read(), range(16)))
PY
    HOSTS="${HOSTS:+$HOSTS,}http://127.0.0.1:$port"
}

failed_modes=""
for mode in $modes; do
    started=$SECONDS
    mode_db="${db}_$mode"
    SCRATCH_EXTRA_DBS="${SCRATCH_EXTRA_DBS:-} $mode_db"
    clone_db "$db" "$mode_db"
    server_log="$LOCAL/logs/load-$mode-$$.log"
    HOSTS=""
    case "$mode" in
        single) start_server "$mode_db" 0 "$server_log"; shape="one process" ;;
        workers) start_server "$mode_db" "$workers" "$server_log"; shape="$workers workers + cron" ;;
        nodes)
            start_server "$mode_db" "$workers" "$server_log"
            start_server "$mode_db" "$workers" "$server_log"
            shape="2 nodes x ($workers workers + cron), one database and filestore" ;;
    esac
    log "$mode ($shape): $users users for $duration s on $HOSTS (server log: $server_log)"
    log "$mode: servers ready after $((SECONDS - started)) s"
    set +e
    LOAD_DATA="$work/data.json" LOAD_DB="$mode_db" LOAD_HOSTS="$HOSTS" LOAD_DURATION="$duration" \
        LOAD_RESULT="$work/$mode.result.json" \
        "$LOAD_VENV/bin/locust" -f "$ROOT/scripts/locustfile.py" --headless --only-summary \
        --users "$users" --spawn-rate "$(( (users + 4) / 5 ))" --run-time "$((duration + 120 + 6 * users))s" \
        --stop-timeout 10 --loglevel WARNING >"$work/$mode.locust.log" 2>&1
    set -e
    stop_servers
    [ -s "$work/$mode.result.json" ] || { cat "$work/$mode.locust.log" >&2; die "Locust did not finish the $mode run."; }
    "$VENV/bin/python" "$ROOT/scripts/load_report.py" "$mode" "$shape" "$users" "$work/$mode.result.json"
    log "$mode: load run done after $((SECONDS - started)) s"
    echo "Invariants after the $mode run:"
    ODOO="$ODOO" "$VENV/bin/python" "$ROOT/scripts/load_data.py" check --conf "$conf" --db "$mode_db" \
        --data "$work/data.json" --result "$work/$mode.result.json" ${self_test:+--self-test} \
        || failed_modes="$failed_modes $mode"
    drop_db "$mode_db"
    echo
done
echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$failed_modes" ]; then
    echo "load test: invariants BROKEN in:$failed_modes"
    exit 1
fi
echo "load test: all invariants hold in: $modes"
