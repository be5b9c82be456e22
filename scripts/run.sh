#!/usr/bin/env bash
# Runs the suite: prepares what is missing (virtualenv, private PostgreSQL, a database with the
# three addons and their demo data), then serves Odoo on http://localhost:8069 until Ctrl-C.
# Usage: scripts/run.sh [--workers N] [extra odoo-bin options]
# Environment: SUPPORT_DB (default "support"), SUPPORT_HTTP_PORT (default 8069),
# SUPPORT_WORKERS (production mode with N HTTP workers; "auto": 2 per core),
# SUPPORT_GEVENT_PORT (websocket port of the production mode, default the HTTP port + 3).
source "$(dirname "$0")/lib.sh"

db="${SUPPORT_DB:-support}"
port="${SUPPORT_HTTP_PORT:-8069}"
workers="${SUPPORT_WORKERS:-0}"
odoo_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --workers) workers="${2:-}"; shift 2 || die "--workers needs a number of HTTP workers." ;;
        --workers=*) workers="${1#--workers=}"; shift ;;
        *) odoo_args+=("$1"); shift ;;
    esac
done
[ "$workers" = auto ] && workers=$((2 * $(nproc)))
[[ "$workers" =~ ^[0-9]+$ ]] || die "The number of workers must be a number or 'auto' (got '$workers')."
gevent_port="${SUPPORT_GEVENT_PORT:-$((port + 3))}"

find_odoo
ensure_venv
ensure_wkhtmltopdf
use_run_cluster  # durable: the run command's database is long-lived
ensure_pg
pg_hold
odoo_pid=""
stop_all() {
    trap - EXIT INT TERM
    [ -n "$odoo_pid" ] && kill "$odoo_pid" 2>/dev/null && wait "$odoo_pid" 2>/dev/null
    pg_release
    exit 0
}
trap stop_all EXIT INT TERM

conf="$LOCAL/odoo-run.conf"
write_odoo_conf "$conf" "$port"
stamp="$LOCAL/run-$db.addons"
if ! db_exists "$db"; then
    log "Creating database $db with the three addons and their demo data (first run: 3-4 minutes)"
    # English stays the main language; Swedish is loaded beside it.
    { odoo_bin -c "$conf" -d "$db" -i "$TEMPLATE_MODULES,$ADDONS" --with-demo --stop-after-init \
        --log-level=warn && odoo_bin i18n loadlang -c "$conf" -d "$db" -l sv_SE; } \
        || { drop_db "$db"; die "Installing the addons into $db failed (see the log above)."; }
    addons_hash > "$stamp"
elif [ "$(cat "$stamp" 2>/dev/null)" != "$(addons_hash)" ]; then
    log "The addons changed since the last run: updating them in $db"
    odoo_bin -c "$conf" -d "$db" -u "$ADDONS" --stop-after-init --log-level=warn \
        || die "Updating the addons in $db failed (see the log above)."
    addons_hash > "$stamp"
fi
[ -n "${SUPPORT_DB_HOST:-}" ] || check_pg_durable "$db"

if [ "$workers" -gt 0 ]; then
    write_production_conf "$conf" "$workers" "$gevent_port"
    mode="production mode: $workers HTTP workers, 1 cron worker, websocket on port $gevent_port (behind a proxy that routes /websocket there)"
else
    # One process with one cron thread: scheduled jobs (monthly fees, background invoicing
    # runs) run while serving.
    sed -i 's/^max_cron_threads = .*/max_cron_threads = 1/' "$conf"
    mode="demo mode: one process, one cron thread"
fi

cat <<MSG

  Odoo 19 with the support suite: http://localhost:$port  (database: $db)
  $mode
  Log in as (login / password):
    admin      / admin       administrator and Support Manager
    consultant / consultant  consultant (Support User): tickets and timesheets
    accountant / accountant  accountant: invoicing from timesheets
    portal     / portal      a customer's Key User in the portal (/my/support)
    portal2    / portal2     an On-Demand customer's contact in the portal
  Ctrl-C stops Odoo and the private PostgreSQL.

MSG
"$VENV/bin/python" "$ODOO/odoo-bin" -c "$conf" -d "$db" --db-filter="^$db\$" "${odoo_args[@]}" &
odoo_pid=$!
wait "$odoo_pid"
