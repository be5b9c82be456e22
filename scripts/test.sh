#!/usr/bin/env bash
# Runs every test: Odoo's test runner on the addons (at_install and post_install) in a fresh
# throwaway database, the top-level pytest tests, ruff, pylint-odoo and OCA's odoo pre-commit
# hooks (the tools of .pre-commit-config.yaml).
# Usage: scripts/test.sh [addon ...]   (default: all the addons; lint runs only for the default)
# Prints "N passed, N failed" last and exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"

addons="${*:-$ADDONS}"
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
# Odoo's own lines worth seeing: failures, errors, and its per-module/total summaries.
grep -E "( ERROR | CRITICAL | FAIL:|odoo.tests.stats|tests when loading database|post-tests in)" "$odoo_log" \
    | grep -v "^\s*$" | cut -c1-2000 || true
summary="$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$odoo_log" | tail -n1 || true)"
if [ -n "$summary" ]; then
    read -r f e n <<<"$(echo "$summary" | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests.*/\1 \2 \3/')"
    odoo_failed=$((f + e))
    odoo_passed=$((n - odoo_failed))
    if [ "$n" = 0 ]; then
        log "Odoo ran no test: that counts as a failure"
        odoo_failed=1
    fi
    if [ "$odoo_rc" != 0 ] && [ "$odoo_failed" = 0 ]; then odoo_failed=1; fi
    # A skipped test checks nothing: count it as failed.
    skipped="$(grep -c "INFO $db .*: skipped " "$odoo_log" || true)"
    if [ "$skipped" -gt 0 ]; then
        grep "INFO $db .*: skipped " "$odoo_log" | cut -c1-400
        odoo_failed=$((odoo_failed + skipped))
        odoo_passed=$((odoo_passed - skipped))
    fi
else
    tail -n 60 "$odoo_log"
    log "Odoo did not finish its test run (exit code $odoo_rc)"
    odoo_passed=0
    odoo_failed=1
fi
count "$odoo_passed" "$odoo_failed" "Odoo tests ($addons)"

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
