#!/usr/bin/env bash
# Runs the suite: prepares what is missing (virtualenv, private PostgreSQL, a database with the
# three addons and their demo data), then serves Odoo on http://localhost:8069 until Ctrl-C.
# Usage: scripts/run.sh [extra odoo-bin options]   Environment: SUPPORT_DB (default "support"),
# SUPPORT_HTTP_PORT (default 8069).
source "$(dirname "$0")/lib.sh"

db="${SUPPORT_DB:-support}"
port="${SUPPORT_HTTP_PORT:-8069}"
find_odoo
ensure_venv
ensure_wkhtmltopdf
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
    ensure_template
    log "Creating database $db with the three addons and their demo data"
    clone_db "$TEMPLATE_DB" "$db"
    odoo_bin -c "$conf" -d "$db" -i "$ADDONS" --stop-after-init --log-level=warn \
        || { drop_db "$db"; die "Installing the addons into $db failed (see the log above)."; }
    addons_hash > "$stamp"
elif [ "$(cat "$stamp" 2>/dev/null)" != "$(addons_hash)" ]; then
    log "The addons changed since the last run: updating them in $db"
    odoo_bin -c "$conf" -d "$db" -u "$ADDONS" --stop-after-init --log-level=warn \
        || die "Updating the addons in $db failed (see the log above)."
    addons_hash > "$stamp"
fi

cat <<MSG

  Odoo 19 with the support suite: http://localhost:$port  (database: $db)
  Log in as (login / password):
    admin      / admin       administrator and Support Manager
    consultant / consultant  consultant (Support User): tickets and timesheets
    accountant / accountant  accountant: invoicing from timesheets
    portal     / portal      a customer's Key User in the portal (/my/support)
    portal2    / portal2     an On-Demand customer's contact in the portal
  Ctrl-C stops Odoo and the private PostgreSQL.

MSG
# One cron thread: scheduled jobs (monthly fees, background invoicing runs) run while serving.
"$VENV/bin/python" "$ODOO/odoo-bin" -c "$conf" -d "$db" --db-filter="^$db\$" --max-cron-threads=1 "$@" &
odoo_pid=$!
wait "$odoo_pid"
