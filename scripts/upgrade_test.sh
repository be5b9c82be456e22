#!/usr/bin/env bash
# Tests the upgrade of a real database: installs the addons as they were at FROM (default: the
# last commit before the environments and fee lines, 19.0.1.0.0) with their demo data in a copy of
# the test template, then upgrades them to the working tree with `odoo -u` (Odoo's migration
# scripts run) and checks the data (scripts/upgrade_check.py), then upgrades once more (the
# migrations are safe to re-run). Needs the git history of FROM.
# Usage: scripts/upgrade_test.sh [FROM]      Prints "N passed, N failed" last.
source "$(dirname "$0")/lib.sh"
from="${1:-16c9a5b}"
addons="support_contract,support_timesheet,support_portal"
git -C "$ROOT" cat-file -e "$from^{commit}" 2>/dev/null \
    || die "Commit $from is not in this repository's history (a shallow clone?): fetch it first."
find_odoo
ensure_venv
ensure_wkhtmltopdf
scratch_db support_upgrade
db="$SCRATCH_DB"
old="$(mktemp -d)"
old_conf="$LOCAL/odoo-$db-old.conf"
SCRATCH_EXTRA_DBS="${SCRATCH_EXTRA_DBS:-}"
trap 'rm -rf "$old" "$old_conf"; scratch_cleanup' EXIT
git -C "$ROOT" archive "$from" ${addons//,/ } | tar -x -C "$old"
sed "s|^addons_path = .*|addons_path = $ODOO/addons,$ODOO/odoo/addons,$old|" "$SCRATCH_CONF" > "$old_conf"
mkdir -p "$LOCAL/logs"
upgrade_log="$LOCAL/logs/upgrade-$$.log"
log "Installing $addons as at $from in $db (logs: $upgrade_log, upgrade-$$-N.log)"
odoo_bin -c "$old_conf" -d "$db" -i "$addons" --stop-after-init --log-level=warn >"$upgrade_log" 2>&1 \
    || { tail -n 40 "$upgrade_log"; die "the old version did not install"; }
# What the old database holds, for the checks after the upgrade.
"$PG_BIN/psql" -q -d "$db" -v ON_ERROR_STOP=1 -c "
    CREATE TABLE upgrade_check_agreements AS SELECT id, monthly_fee FROM support_agreement;
    CREATE TABLE upgrade_check_periods AS SELECT id, agreement_id FROM support_agreement_fee_period;"
passed=0
failed=0
for run in 1 2; do
    log "Upgrade $run: odoo -u $addons (working tree)"
    run_log="$LOCAL/logs/upgrade-$$-$run.log"
    if ! odoo_bin -c "$SCRATCH_CONF" -d "$db" -u "$addons" --stop-after-init --log-level=info \
        >"$run_log" 2>&1 || grep -E " (ERROR|CRITICAL) " "$run_log"; then
        tail -n 40 "$run_log"
        failed=$((failed + 1))
        break
    fi
    grep -E "Running migration" "$run_log" | cut -c1-200 || true
    out="$(UPGRADE_RUN="$run" odoo_bin shell -c "$SCRATCH_CONF" -d "$db" --log-level=warn --no-http \
        < "$ROOT/scripts/upgrade_check.py" 2>&1 || true)"
    echo "$out" | grep -E "^(ok|FAIL)" || echo "$out" | tail -n 30
    passed=$((passed + $(echo "$out" | grep -c "^ok" || true)))
    failed=$((failed + $(echo "$out" | grep -c "^FAIL" || true)))
    echo "$out" | grep -q "^checks done" || failed=$((failed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
