#!/usr/bin/env bash
# Benchmarks (see scripts/bench.py): times the suite's invoicing from timesheets, Odoo's
# sale_timesheet invoicing and a bare batched account.move create of the same invoices; then
# logging one line of time on a ticket against a plain hr_timesheet line on a task.
# Usage: scripts/bench.sh [LINES:CUSTOMERS:TICKETS ...]   (default: 5000:50:500 50000:500:5000)
# Environment: SUPPORT_BENCH_SECTIONS (default "invoicing logging"), SUPPORT_BENCH_VARIANTS,
# SUPPORT_BENCH_LOG_SIZES (lines already on the ticket, default 0,100,1000).
source "$(dirname "$0")/lib.sh"

sizes="${*:-5000:50:500 50000:500:5000}"
find_odoo
ensure_venv
scratch_db support_bench
db="$SCRATCH_DB"
conf="$SCRATCH_CONF"
run_db="${db}_run"
SCRATCH_EXTRA_DBS="$run_db"  # dropped on exit with the scratch database
out="$LOCAL/bench-$$.jsonl"
: > "$out"
sections="${SUPPORT_BENCH_SECTIONS:-invoicing logging}"
modules=support_timesheet
if [[ " $sections " == *" invoicing "* ]]; then modules="sale_timesheet,$modules"; else sizes=""; fi
log "Installing $modules into $db"
odoo_bin -c "$conf" -d "$db" -i "$modules" --stop-after-init --log-level=warn
for size in $sizes; do
    IFS=: read -r lines customers tickets <<<"$size"
    for variant in ${SUPPORT_BENCH_VARIANTS:-ours sale_timesheet bare}; do
        log "$variant: $lines lines, $customers customers, $tickets tickets"
        # Each variant commits its generated work, so it runs in its own copy of the database.
        clone_db "$db" "$run_db"
        ODOO="$ODOO" "$VENV/bin/python" "$ROOT/scripts/bench.py" --conf "$conf" --db "$run_db" \
            --variant "$variant" --lines "$lines" --customers "$customers" --tickets "$tickets" --out "$out"
        drop_db "$run_db"
    done
done
if [[ " $sections " == *" logging "* ]]; then
    log "logging one line: tickets and tasks with ${SUPPORT_BENCH_LOG_SIZES:-0,100,1000} lines"
    clone_db "$db" "$run_db"
    ODOO="$ODOO" "$VENV/bin/python" "$ROOT/scripts/bench.py" --conf "$conf" --db "$run_db" \
        --variant log --existing "${SUPPORT_BENCH_LOG_SIZES:-0,100,1000}" --out "$out"
    drop_db "$run_db"
fi
"$VENV/bin/python" - "$out" <<'PY'
import json, sys
all_rows = [json.loads(line) for line in open(sys.argv[1])]
rows = [r for r in all_rows if not r["variant"].startswith("log_")]
if rows:
    print(f"{'lines':>7} {'variant':<15} {'invoices':>8} {'inv.lines':>9} {'seconds':>8} {'ms/line':>8} "
          f"{'queries':>8} {'peak MB':>8} {'+MB':>6}")
for lines in sorted({r["lines"] for r in rows}):
    by = {r["variant"]: r for r in rows if r["lines"] == lines}
    for name in ("ours", "sale_timesheet", "bare"):
        r = by.get(name)
        if r:
            per = 1000 * r["seconds"] / max(r["invoice_lines"], 1)
            print(f"{lines:>7} {name:<15} {r['invoices']:>8} {r['invoice_lines']:>9} {r['seconds']:>8.2f} "
                  f"{per:>8.2f} {r['queries']:>8} {r['peak_rss_mb']:>8.0f} {r['rss_growth_mb']:>6.0f}")
    if {"ours", "sale_timesheet", "bare"} <= by.keys():
        o, s, b = by["ours"], by["sale_timesheet"], by["bare"]
        if len({r["amount_untaxed"] for r in (o, s, b)}) > 1:
            print(f"{lines:>7} WARNING: the variants invoiced different amounts")
        print(f"{lines:>7} ratios: sale_timesheet/ours = {s['seconds'] / o['seconds']:.2f}x faster "
              f"(target >= 3.00), ours/bare = {o['seconds'] / b['seconds']:.2f} (target < 1.00), "
              f"memory growth ours/sale_timesheet = {o['rss_growth_mb'] / max(s['rss_growth_mb'], 1):.2f}")
log = {(r["variant"], r["existing"]): r for r in all_rows if r["variant"].startswith("log_")}
if log:
    print()
    print("Logging one line of time (median of the timed lines, each in its own transaction):")
    print("(ms: wall clock; cpu: CPU time of the Odoo process, less disturbed by a busy machine)")
    print(f"{'existing lines':>14} {'ticket ms':>10} {'cpu':>6} {'queries':>8} {'task ms':>8} {'cpu':>6} "
          f"{'queries':>8} {'ticket/task ms':>15} {'cpu':>6}")
    sizes = sorted({existing for _variant, existing in log})
    for existing in sizes:
        o, p = log.get(("log_ours", existing)), log.get(("log_plain", existing))
        if o and p:
            print(f"{existing:>14} {o['median_ms']:>10.1f} {o['cpu_ms']:>6.1f} {o['queries']:>8} "
                  f"{p['median_ms']:>8.1f} {p['cpu_ms']:>6.1f} {p['queries']:>8} "
                  f"{o['median_ms'] / p['median_ms']:>14.2f}x {o['cpu_ms'] / p['cpu_ms']:>5.2f}x"
                  "  (target <= 1.30)")
    first, last = log.get(("log_ours", sizes[0])), log.get(("log_ours", sizes[-1]))
    if first and last and len(sizes) > 1:
        print(f"ticket with {sizes[-1]} lines / with {sizes[0]}: "
              f"{last['median_ms'] / first['median_ms']:.2f}x time, "
              f"{last['cpu_ms'] / first['cpu_ms']:.2f}x CPU, "
              f"{last['queries'] / first['queries']:.2f}x queries (target: no growth)")
PY
