#!/usr/bin/env bash
# Invoicing benchmark (see scripts/bench.py): times the suite's invoicing from timesheets, Odoo's
# sale_timesheet invoicing and a bare batched account.move create of the same invoices.
# Usage: scripts/bench.sh [LINES:CUSTOMERS:TICKETS ...]   (default: 5000:50:500 50000:500:5000)
source "$(dirname "$0")/lib.sh"

sizes="${*:-5000:50:500 50000:500:5000}"
find_odoo
ensure_venv
scratch_db support_bench
db="$SCRATCH_DB"
conf="$SCRATCH_CONF"
log "Installing sale_timesheet and the suite into $db"
odoo_bin -c "$conf" -d "$db" -i sale_timesheet,support_timesheet --stop-after-init --log-level=warn
run_db="${db}_run"
SCRATCH_EXTRA_DBS="$run_db"  # dropped on exit with the scratch database
out="$LOCAL/bench-$$.jsonl"
: > "$out"
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
"$VENV/bin/python" - "$out" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
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
        print(f"{lines:>7} ratios: sale_timesheet/ours = {s['seconds'] / o['seconds']:.2f}x faster, "
              f"ours/bare = {o['seconds'] / b['seconds']:.2f} (target <= 1.20), "
              f"memory growth ours/sale_timesheet = {o['rss_growth_mb'] / max(s['rss_growth_mb'], 1):.2f}")
PY
