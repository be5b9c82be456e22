#!/usr/bin/env bash
# Runs every test: Odoo's test runner on the addons (at_install and post_install) in a fresh
# throwaway database, with the test-only addons of tests/addons beside them (a partner's extension
# of the billing engine); a chosen subset of Odoo's own account, hr_timesheet and sale_timesheet
# tests with the suite installed; the top-level pytest tests, ruff, pylint-odoo and OCA's odoo
# pre-commit hooks (the tools of .pre-commit-config.yaml).
# Usage: scripts/test.sh [addon ...]   (default: all the addons and tests/addons; lint and Odoo's
# own tests run only for the default, or SUPPORT_CORE_TESTS=1 for Odoo's own tests)
# Prints "N passed, N failed" last and exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"

# Test-only addons (tests/addons, e.g. a partner's extension of the billing engine): installed
# and tested beside the suite in the test database only, never by scripts/run.sh.
TEST_ADDONS_DIR="$ROOT/tests/addons"
TEST_ADDONS="support_billing_example"
export SUPPORT_TEST_ADDONS_PATH="$TEST_ADDONS_DIR"
# Odoo's own tests run with the suite installed (full runs, or SUPPORT_CORE_TESTS=1): what the
# suite overrides. account: posting, credit notes, reset to draft and cancel; hr_timesheet:
# timesheet create/write/unlink and its access rules; sale_timesheet: invoicing timesheets,
# their lock once invoiced, credit notes and deletion.
CORE_TEST_TAGS="/account:TestAccountMoveOutRefundOnchanges"
CORE_TEST_TAGS+=",/account:TestAccountMoveOutInvoiceOnchanges.test_out_invoice_create_refund"
CORE_TEST_TAGS+=",/account:TestAccountMoveOutInvoiceOnchanges.test_out_invoice_post_1"
CORE_TEST_TAGS+=",/account:TestAccountMoveOutInvoiceOnchanges.test_out_invoice_post_2"
CORE_TEST_TAGS+=",/account:TestAccountMoveOutInvoiceOnchanges.test_invoice_mass_posting"
CORE_TEST_TAGS+=",/account:TestAccountMove.test_misc_draft_reconciled_entries_1"
CORE_TEST_TAGS+=",/account:TestAccountMove.test_misc_prevent_unlink_posted_items"
CORE_TEST_TAGS+=",/account:TestAccountMove.test_modify_posted_move_readonly_fields"
CORE_TEST_TAGS+=",/account:TestSequenceMixin.test_sequence_change_date"
CORE_TEST_TAGS+=",/account:TestSequenceMixin.test_sequence_draft_first_of_period"
CORE_TEST_TAGS+=",/hr_timesheet:TestTimesheet"
CORE_TEST_TAGS+=",/sale_timesheet:TestSaleTimesheet,/sale_timesheet:TestReInvoice"

addons="${*:-$ADDONS,$TEST_ADDONS}"
addons="${addons// /,}"
passed=0
failed=0
count() {  # $1: passed, $2: failed, $3: what
    passed=$((passed + $1)); failed=$((failed + $2))
    log "$3: $1 passed, $2 failed"
}

find_odoo
ensure_venv
ensure_chromium
ensure_wkhtmltopdf required
scratch_db support_test
db="$SCRATCH_DB"
conf="$SCRATCH_CONF"

# Sets odoo_passed and odoo_failed from an Odoo test log.  $1: log, $2: database, $3: exit code
odoo_counts() {
    local log_file="$1" dbname="$2" rc="$3" summary f e n skipped
    # Odoo's own lines worth seeing: failures, errors, and its per-module/total summaries.
    grep -E "( ERROR | CRITICAL | FAIL:|odoo.tests.stats|tests when loading database|post-tests in)" "$log_file" \
        | grep -v "^\s*$" | cut -c1-2000 || true
    summary="$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$log_file" | tail -n1 || true)"
    if [ -n "$summary" ]; then
        read -r f e n <<<"$(echo "$summary" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/')"
        odoo_failed=$((f + e))
        # Failed subtests count as failures of their own: never fewer than 0 passed.
        odoo_passed=$((n > odoo_failed ? n - odoo_failed : 0))
        if [ "$n" = 0 ]; then
            log "Odoo ran no test: that counts as a failure"
            odoo_failed=1
        fi
        if [ "$rc" != 0 ] && [ "$odoo_failed" = 0 ]; then odoo_failed=1; fi
        # A skipped test checks nothing: count it as failed.
        skipped="$(grep -c "INFO $dbname .*: skipped " "$log_file" || true)"
        if [ "$skipped" -gt 0 ]; then
            grep "INFO $dbname .*: skipped " "$log_file" | cut -c1-400
            odoo_failed=$((odoo_failed + skipped))
            odoo_passed=$((odoo_passed > skipped ? odoo_passed - skipped : 0))
        fi
    else
        tail -n 60 "$log_file"
        log "Odoo did not finish its test run (exit code $rc)"
        odoo_passed=0
        odoo_failed=1
    fi
}

# --- Odoo tests -----------------------------------------------------------------------------
mkdir -p "$LOCAL/logs"
odoo_log="$LOCAL/logs/test-odoo-$$.log"  # one per run: concurrent runs keep their own
ln -sfn "$(basename "$odoo_log")" "$LOCAL/logs/test-odoo.log"
tags="$(printf '/%s,' ${addons//,/ })"
log "Installing and testing $addons in $db (log: $odoo_log)"
set +e
odoo_bin -c "$conf" -d "$db" -i "$addons" --test-enable --test-tags "${SUPPORT_TEST_TAGS:-${tags%,}}" \
    --stop-after-init --log-level=info >"$odoo_log" 2>&1
odoo_rc=$?
set -e
odoo_counts "$odoo_log" "$db" "$odoo_rc"
count "$odoo_passed" "$odoo_failed" "Odoo tests ($addons)"

# --- Odoo's own tests with the suite installed ---------------------------------------------
# In a copy of the suite's test database with sale_timesheet installed beside the suite.
if [ -z "${*:-}" ] || [ "${SUPPORT_CORE_TESTS:-}" = 1 ]; then
    core_db="${db}_core"
    SCRATCH_EXTRA_DBS="${SCRATCH_EXTRA_DBS:-} $core_db"
    core_log="$LOCAL/logs/test-odoo-core-$$.log"
    log "Odoo's own tests (account, hr_timesheet, sale_timesheet) with the suite in $core_db (log: $core_log)"
    set +e
    drop_db "$core_db"
    clone_db "$db" "$core_db" \
        && odoo_bin -c "$conf" -d "$core_db" -i sale_timesheet --stop-after-init --log-level=warn \
            >"$core_log" 2>&1 \
        && odoo_bin -c "$conf" -d "$core_db" --test-enable --test-tags "$CORE_TEST_TAGS" \
            --stop-after-init --log-level=info >>"$core_log" 2>&1
    core_rc=$?
    set -e
    odoo_counts "$core_log" "$core_db" "$core_rc"
    count "$odoo_passed" "$odoo_failed" "Odoo's own tests (account, hr_timesheet, sale_timesheet)"
    drop_db "$core_db"
fi

# --- Top-level tests and lint (full runs only) ----------------------------------------------
if [ -z "${*:-}" ]; then
    set +e
    # The load test's short run copies this database (the addons are installed in it).
    py_out="$(cd "$ROOT" && ODOO="$ODOO" SUPPORT_LOAD_FROM_DB="$db" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests 2>&1)"
    set -e
    echo "$py_out" | tail -n 30
    py_passed="$(echo "$py_out" | { grep -Eo '[0-9]+ passed' || true; } | tail -n1 | cut -d' ' -f1)"
    py_failed="$(echo "$py_out" | { grep -Eo '[0-9]+ (failed|error)' || true; } | awk '{s+=$1} END {print s+0}')"
    [ -n "$py_passed" ] || { py_passed=0; py_failed=$((py_failed > 0 ? py_failed : 1)); }
    count "$py_passed" "$py_failed" "pytest (tests/)"

    if (cd "$ROOT" && "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . >/dev/null); then
        count 1 0 "ruff"
    else
        (cd "$ROOT" && "$VENV/bin/ruff" format --diff . 2>&1 | head -n 40) || true
        count 0 1 "ruff"
    fi
    if (cd "$ROOT" && "$VENV/bin/pylint" --rcfile=setup.cfg support_contract support_timesheet support_portal support_dashboard); then
        count 1 0 "pylint-odoo"
    else
        count 0 1 "pylint-odoo"
    fi
    # OCA's odoo pre-commit hooks, as .pre-commit-config.yaml runs them (.oca_hooks.cfg).
    ensure_hooks_venv
    if (cd "$ROOT" && "$HOOKS_VENV/bin/oca-checks-odoo-module" ${ADDONS//,/ } \
        && "$HOOKS_VENV/bin/oca-checks-po" $(for a in ${ADDONS//,/ }; do echo "$a"/i18n/*.po*; done)); then
        count 1 0 "OCA pre-commit hooks"
    else
        count 0 1 "OCA pre-commit hooks"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
