"""Invoicing benchmark: the suite's invoicing from timesheets against Odoo's sale_timesheet and
against a bare batched account.move create of the same invoices (the floor of any invoicing).
Logging benchmark (--variant log): what logging one line of time costs a consultant on a ticket
with 0, 100 and 1,000 lines, against a plain hr_timesheet line on a task with as many lines.

Run by scripts/bench.sh, one process per variant so that each one's peak memory is its own:
    python bench.py --conf C --db D --variant ours|sale_timesheet|bare
        --customers 50 --tickets 500 --lines 5000 --out results.json
Data is generated untimed and committed, as timesheets are logged long before they are invoiced
(bench.sh gives each variant its own copy of the database), and the tables are analysed as
autovacuum would. The invoicing run is timed (wall clock, SQL queries, peak RSS of the process
during the run), then rolled back.
"""

import argparse
import cProfile
import json
import os
import sys
import threading
import time

ODOO = os.environ["ODOO"]
sys.path.insert(0, ODOO)

import odoo  # noqa: E402
from odoo import api, sql_db  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

BATCH = 2000
HOURLY_PRICE = 1150.0


def rss_kb(field="VmRSS"):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def progress(msg):
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure(env, fn):
    """Run fn() and return (result, seconds, queries, peak RSS MB, peak RSS growth MB)."""
    env.flush_all()
    env.invalidate_all()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM (peak RSS) to the current RSS
    rss_before = rss_kb()
    queries_before = sql_db.sql_counter
    start = time.perf_counter()
    result = fn()
    env.flush_all()
    seconds = time.perf_counter() - start
    peak = rss_kb("VmHWM")
    queries = sql_db.sql_counter - queries_before
    return result, seconds, queries, peak / 1024, (peak - rss_before) / 1024


def split_lines(total, tickets):
    """Spread `total` timesheet lines over `tickets` tickets as evenly as possible."""
    base, extra = divmod(total, tickets)
    return [base + (1 if i < extra else 0) for i in range(tickets)]


def make_customers(env, count, tag):
    return env["res.partner"].create(
        [{"name": f"Bench {tag} customer {i:05d}", "is_company": True} for i in range(count)]
    )


def hourly_product(env):
    product = env.ref("support_timesheet.product_support_hour", raise_if_not_found=False)
    if product:
        return product
    return env["product.product"].create(
        {"name": "Bench hourly support", "type": "service", "list_price": HOURLY_PRICE}
    )


def employee(env):
    return env["hr.employee"].search([("company_id", "=", env.company.id)], limit=1) or env[
        "hr.employee"
    ].create({"name": "Bench consultant"})


def create_in_batches(model, vals_list):
    records = model.browse()
    for start in range(0, len(vals_list), BATCH):
        records |= model.create(vals_list[start : start + BATCH])
        model.env.flush_all()
        model.env.invalidate_all()
    return records


def period(env):
    today = odoo.fields.Date.context_today(env["res.partner"])
    return today.replace(day=1), today


# --- variants ---------------------------------------------------------------------------------
def run_ours(env, customers, tickets_per_customer, lines):
    partners = make_customers(env, customers, "ours")
    category = env.ref("support_contract.category_new_functionality")  # always charged separately
    # The same amounts as the other variants: the product the suite invoices the category with.
    (category.hourly_product_id or hourly_product(env)).lst_price = HOURLY_PRICE
    date_from, date_to = period(env)
    tickets = create_in_batches(
        env["support.ticket"],
        [
            {
                "name": f"Request {c}-{t}",
                "partner_id": partner.id,
                "category_id": category.id,
                "request_date": date_from,
            }
            for c, partner in enumerate(partners)
            for t in range(tickets_per_customer)
        ],
    )
    progress(f"ours: {len(tickets)} tickets created")
    emp = employee(env)
    counts = split_lines(lines, len(tickets))
    vals = []
    for ticket, count in zip(tickets, counts, strict=True):
        vals += [
            {
                "name": f"Work {i}",
                "support_ticket_id": ticket.id,
                "project_id": ticket.project_id.id,
                "employee_id": emp.id,
                "unit_amount": 0.25 + (i % 4) * 0.25,
                "date": date_from,
            }
            for i in range(count)
        ]
    create_in_batches(env["account.analytic.line"], vals)
    progress(f"ours: {len(vals)} timesheet lines created; invoicing")
    wizard = env["support.invoice.create"]
    return lambda: wizard._create_invoices_for(partners, date_from, date_to)


def run_sale_timesheet(env, customers, tickets_per_customer, lines):
    partners = make_customers(env, customers, "sale_timesheet")
    project = env["project.project"].create(
        {"name": "Bench support", "allow_timesheets": True, "allow_billable": True}
    )
    product = env["product.product"].create(
        {
            "name": "Bench support hours (timesheets)",
            "type": "service",
            "service_policy": "delivered_timesheet",
            "service_tracking": "task_global_project",
            "project_id": project.id,
            "list_price": HOURLY_PRICE,
            "uom_id": env.ref("uom.product_uom_hour").id,
            "taxes_id": False,
        }
    )
    orders = create_in_batches(
        env["sale.order"],
        [
            {
                "partner_id": partner.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": 1, "name": f"Ticket {t}"})
                    for t in range(tickets_per_customer)
                ],
            }
            for partner in partners
        ],
    )
    orders.action_confirm()
    env.flush_all()
    so_lines = orders.order_line.sorted("id")
    tasks = so_lines.task_id
    progress(f"sale_timesheet: {len(orders)} orders confirmed, {len(tasks)} tasks")
    emp = employee(env)
    date_from, _date_to = period(env)
    counts = split_lines(lines, len(so_lines))
    vals = []
    for line, count in zip(so_lines, counts, strict=True):
        vals += [
            {
                "name": f"Work {i}",
                "task_id": line.task_id.id,
                "project_id": project.id,
                "employee_id": emp.id,
                "unit_amount": 0.25 + (i % 4) * 0.25,
                "date": date_from,
            }
            for i in range(count)
        ]
    create_in_batches(env["account.analytic.line"], vals)
    delivered = sum(so_lines.mapped("qty_delivered"))
    progress(f"sale_timesheet: {len(vals)} timesheet lines created ({delivered:.2f} h delivered)")
    orders = orders.browse(orders.ids)
    return lambda: orders._create_invoices()


def run_bare(env, customers, tickets_per_customer, lines):
    partners = make_customers(env, customers, "bare")
    product = hourly_product(env)
    counts = split_lines(lines, customers * tickets_per_customer)
    hours = [sum(0.25 + (i % 4) * 0.25 for i in range(count)) for count in counts]
    vals = [
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "name": f"Ticket {c}-{t}",
                        "quantity": hours[c * tickets_per_customer + t],
                        "price_unit": HOURLY_PRICE,
                    },
                )
                for t in range(tickets_per_customer)
            ],
        }
        for c, partner in enumerate(partners)
    ]
    progress("bare: invoicing")
    return lambda: env["account.move"].create(vals)


VARIANTS = {"ours": run_ours, "sale_timesheet": run_sale_timesheet, "bare": run_bare}


# --- logging one line -------------------------------------------------------------------------
def logging_fixture(env):
    """A consultant, a billable On-Demand customer with a large pack, a plain project."""
    user = env["res.users"].create(
        {
            "name": "Bench consultant (logging)",
            "login": "bench_logging_consultant",
            "group_ids": [(6, 0, [env.ref("support_contract.group_support_user").id])],
        }
    )
    env["hr.employee"].create({"name": user.name, "user_id": user.id})
    partner = env["res.partner"].create({"name": "Bench logging customer", "is_company": True})
    today = odoo.fields.Date.context_today(partner)
    env["support.hour.pack"].create(
        {
            "partner_id": partner.id,
            "hours": 100000,
            "date_start": today.replace(day=1),
            "date_end": today.replace(year=today.year + 1),
        }
    )
    project = env["project.project"].create({"name": "Bench plain timesheets"})
    return user, partner, project


def logging_targets(env, partner, project, existing, count):
    """`count` tickets and `count` tasks, each with `existing` lines already logged."""
    category = env.ref("support_contract.category_db_correction")  # billable On-Demand
    date = odoo.fields.Date.context_today(partner).replace(day=1)
    tickets = env["support.ticket"].create(
        [
            {
                "name": f"Logging {existing}-{i}",
                "partner_id": partner.id,
                "category_id": category.id,
                "request_date": date,
            }
            for i in range(count)
        ]
    )
    tasks = env["project.task"].create(
        [{"name": f"Logging {existing}-{i}", "project_id": project.id} for i in range(count)]
    )
    emp = employee(env)
    vals = [
        {"name": f"Work {n}", "unit_amount": 0.25, "date": date, "employee_id": emp.id, **target}
        for target in [{"support_ticket_id": t.id} for t in tickets]
        + [{"task_id": t.id, "project_id": project.id} for t in tasks]
        for n in range(existing)
    ]
    create_in_batches(env["account.analytic.line"], vals)
    return tickets, tasks


def run_logging(cr, env, sizes, reps):
    """Median cost of one line logged by a consultant, in its own committed transaction, on a
    ticket and on a task in turns."""
    user, partner, project = logging_fixture(env)
    date = odoo.fields.Date.context_today(partner)
    targets = {}
    for existing in sizes:
        # A new ticket for every line at 0 (the first line of a request), one ticket otherwise.
        count = reps + 1 if existing == 0 else 1
        targets[existing] = logging_targets(env, partner, project, existing, count)
        progress(f"log: {count} ticket(s) and task(s) with {existing} lines each")
    cr.commit()
    cr.execute("ANALYZE")
    results = []
    for existing in sizes:
        tickets, tasks = targets[existing]
        variants = (("plain", tasks, "task_id"), ("ours", tickets, None))
        measured = {variant: ([], [], []) for variant, _records, _field in variants}
        for rep in range(reps + 1):  # the first is a warm-up
            # Alternately, in turns: both variants see the same (shared, busy) machine.
            for variant, records, field in variants[:: 1 if rep % 2 else -1]:
                record = records[rep % len(records)]
                vals = {"name": "Logged", "unit_amount": 0.5, "date": date}
                if field:
                    vals.update(task_id=record.id, project_id=project.id)
                else:
                    vals["support_ticket_id"] = record.id
                env.invalidate_all()
                queries_before = sql_db.sql_counter
                start, start_cpu = time.perf_counter(), time.process_time()
                env["account.analytic.line"].with_user(user).create(vals)
                env.flush_all()
                cr.commit()
                if rep:
                    times, cpu, queries = measured[variant]
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                    queries.append(sql_db.sql_counter - queries_before)
        for variant, (times, cpu, queries) in measured.items():
            times.sort()
            cpu.sort()
            results.append(
                {
                    "variant": f"log_{variant}",
                    "existing": existing,
                    "reps": reps,
                    "median_ms": round(1000 * times[len(times) // 2], 2),
                    "cpu_ms": round(1000 * cpu[len(cpu) // 2], 2),
                    "queries": sorted(queries)[len(queries) // 2],
                }
            )
            progress(
                f"log {variant}: {existing} existing lines: {results[-1]['median_ms']} ms, "
                f"{results[-1]['queries']} queries"
            )
    return results


class Heartbeat(threading.Thread):
    """Prints a line every 30 s so that a long run shows it is alive."""

    def __init__(self, label):
        super().__init__(daemon=True)
        self.label = label
        self.done = threading.Event()

    def run(self):
        start = time.time()
        while not self.done.wait(30):
            progress(f"{self.label}: still invoicing ({time.time() - start:.0f} s)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--variant", choices=[*sorted(VARIANTS), "log"], required=True)
    parser.add_argument("--existing", default="0,100,1000", help="log: lines already logged")
    parser.add_argument("--reps", type=int, default=30, help="log: lines timed per size")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=500, help="tickets in all")
    parser.add_argument("--lines", type=int, default=5000, help="timesheet lines in all")
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile", help="write cProfile stats of the timed run to this file")
    args = parser.parse_args()
    config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    registry = Registry(args.db)
    if args.variant == "log":
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            sizes = [int(size) for size in args.existing.split(",")]
            rows = run_logging(cr, env, sizes, args.reps)
        with open(args.out, "a") as out:
            out.writelines(json.dumps(row) + "\n" for row in rows)
        return
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        # The main company has the demo chart of accounts of Odoo's account module.
        company = env.ref("base.main_company")
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        setup = VARIANTS[args.variant]
        # Warm-up on one small invoice, untimed, so that no variant pays for cold caches.
        setup(env, 1, 1, 2)()
        env.flush_all()
        invoice = setup(env, args.customers, args.tickets // args.customers, args.lines)
        env.flush_all()
        # Logged earlier, invoiced now: rows created by the invoicing transaction itself would
        # make PostgreSQL re-check every foreign key of each updated row.
        cr.commit()
        cr.execute("ANALYZE")
        beat = Heartbeat(args.variant)
        beat.start()
        if args.profile:
            profiler = cProfile.Profile()
            timed = invoice
            invoice = lambda: profiler.runcall(timed)  # noqa: E731
        moves, seconds, queries, peak_mb, growth_mb = measure(env, invoice)
        if args.profile:
            profiler.dump_stats(args.profile)
        beat.done.set()
        invoice_lines = sum(len(move.invoice_line_ids) for move in moves)
        amount = sum(moves.mapped("amount_untaxed"))
        cr.rollback()
    result = {
        "variant": args.variant,
        "lines": args.lines,
        "customers": args.customers,
        "tickets": args.tickets,
        "invoices": len(moves),
        "invoice_lines": invoice_lines,
        "amount_untaxed": round(amount, 2),
        "seconds": round(seconds, 3),
        "queries": queries,
        "peak_rss_mb": round(peak_mb, 1),
        "rss_growth_mb": round(growth_mb, 1),
    }
    with open(args.out, "a") as out:
        out.write(json.dumps(result) + "\n")
    progress(
        f"{args.variant}: {len(moves)} invoices, {invoice_lines} lines in {seconds:.2f} s, "
        f"{queries} queries, peak RSS {peak_mb:.0f} MB (+{growth_mb:.0f} MB)"
    )


if __name__ == "__main__":
    main()
