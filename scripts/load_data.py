"""Data and checks of the load test (scripts/load.sh).

    python load_data.py setup --conf C --db D --out data.json [--customers 6 --consultants 6]
    python load_data.py check --conf C --db D --data data.json --result result.json [--self-test]

setup creates, in a database with the three addons and their demo data: customers On-Demand
(billable) and under patch+maintenance agreements, two portal users each, consultants, an
accountant, and the shared tickets consultants log time on: billable requests of the On-Demand
customers, whose packs are nearly empty (half of them under cost control).

check reads what the load test was told (acknowledged time entries, the references each portal
user saw) and the database after the run, prints one line per invariant and exits 1 when one is
broken. The invariants, from the billing engine's rules (support_timesheet):
- every acknowledged time entry exists exactly once; an unacknowledged one at most once;
- no pack below zero: for each pack, the sum of its draws <= its hours, and its stored
  hours_remaining equals hours minus that sum;
- every hour logged is accounted for, line by line, from its billing status: covered lines draw
  nothing and bill nothing; `pack` lines draw all their hours; `to_invoice`/`invoiced` lines draw
  part and bill the rest (drawn + billed = logged); `held`/`refused` lines draw part and bill
  nothing (the rest waits for, or was refused by, the customer: only under cost control); a
  line's drawn hours equal the sum of its draw records. Per ticket: tracked hours = the sum of
  its lines, and hours from packs = the sum of its draws (its lines' and the per-request
  minimum's);
- nothing billed twice: per ticket, the quantity on its invoice lines (invoices not cancelled)
  equals the billed hours of the timesheets linked to them plus at most the ticket's
  minimum/rounding hours, and every linked timesheet sits on a line of a live invoice of its own
  ticket (a timesheet links one invoice line: the check is that none is counted in two);
- no leak: no support line of the run is in another status, and held lines only exist for
  cost-controlled customers;
- no portal page showed a reference of another customer's request.
"""

import argparse
import json
import os
import sys
from collections import defaultdict
from contextlib import closing

ODOO = os.environ["ODOO"]
sys.path.insert(0, ODOO)

from dateutil.relativedelta import relativedelta  # noqa: E402

from odoo import api, fields  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config, float_compare  # noqa: E402

PRECISION = 4
# Statuses that account for a support line's hours (support_timesheet's SETTLED_STATUSES).
SETTLED = ("covered", "pack", "to_invoice", "invoiced", "within_minimum", "written_off")
PASSWORD = "load-test"  # of every user of the load test
# Fields a consultant sees when opening a ticket (locustfile reads them).
TICKET_FIELDS = [
    "display_name",
    "hours_logged",
    "hours_billed",
    "hours_from_pack",
    "hours_to_invoice",
    "hours_invoiced",
    "hours_held",
    "approval_state",
]


def setup(env, customers, consultants):
    ref = env.ref
    today = fields.Date.context_today(env.user)
    company = env.company
    Users = env["res.users"].with_context(no_reset_password=True)
    portal_group = ref("base.group_portal")
    partners = env["res.partner"].create(
        [{"name": f"Load Customer {i:02d} AB", "is_company": True} for i in range(customers)]
    )
    on_demand = partners[: (customers + 1) // 2]
    with_agreements = partners - on_demand
    for partner in with_agreements:
        for code in ("patch", "maintenance"):
            agreement = env["support.agreement"].create(
                {
                    "partner_id": partner.id,
                    "type_id": ref(f"support_contract.agreement_type_{code}").id,
                    "date_start": today - relativedelta(years=1),
                    "monthly_fee": 495.0,
                }
            )
            agreement.action_activate()
    portal = []
    users = env["res.users"]
    for i, partner in enumerate(partners):
        for j in range(2):
            login = f"load_portal_{i:02d}_{j}"
            contact = env["res.partner"].create(
                {"name": f"Load Contact {i:02d}-{j}", "parent_id": partner.id}
            )
            users |= Users.create(
                {"login": login, "partner_id": contact.id, "group_ids": [(6, 0, portal_group.ids)]}
            )
            portal.append({"login": login, "password": PASSWORD, "customer_id": partner.id})
    consultant_group = ref("support_contract.group_support_user")
    accounts = []
    for i in range(consultants):
        login = f"load_consultant_{i:02d}"
        user = Users.create(
            {
                "name": f"Load Consultant {i:02d}",
                "login": login,
                "group_ids": [(6, 0, consultant_group.ids)],
            }
        )
        users |= user
        env["hr.employee"].create({"name": user.name, "user_id": user.id})
        accounts.append({"login": login, "password": PASSWORD})
    accountant = Users.create(
        {
            "name": "Load Accountant",
            "login": "load_accountant",
            "group_ids": [(6, 0, [ref("account.group_account_invoice").id, consultant_group.id])],
        }
    )
    env["hr.employee"].create({"name": accountant.name, "user_id": accountant.id})
    # One hash for all (hashing is slow on purpose); logging in still verifies it each time.
    env.flush_all()
    env.cr.execute(
        "UPDATE res_users SET password = %s WHERE id IN %s",
        [Users._crypt_context().hash(PASSWORD), tuple((users | accountant).ids)],
    )
    # Nearly empty packs: 1 hour each, every other customer under cost control.
    category = ref("support_contract.category_db_correction")  # billable under every agreement
    tickets = env["support.ticket"]
    for i, partner in enumerate(on_demand):
        partner.support_cost_control = i % 2 == 1
        env["support.hour.pack"].create(
            {
                "partner_id": partner.id,
                "hours": 1.0,
                "date_start": today - relativedelta(months=6),
                "date_end": today + relativedelta(months=6),
                "company_id": company.id,
            }
        )
        contact = partner.child_ids[:1]
        tickets |= env["support.ticket"].create(
            [
                {
                    "name": f"Shared request {n} of {partner.name}",
                    "partner_id": contact.id,
                    "category_id": category.id,
                    "request_date": today,
                    "company_id": company.id,
                }
                for n in range(2)
            ]
        )
    return {
        "db": env.cr.dbname,
        "portal": portal,
        "consultants": accounts,
        "accountant": {"login": "load_accountant", "password": PASSWORD},
        "tickets": tickets.ids,
        "invoiced_customers": on_demand.ids,
        "customers": partners.ids,
        "categories": env["support.service.category"].search([]).ids,
        "ticket_fields": TICKET_FIELDS,
        "date_from": str(today.replace(day=1)),
        "date_to": str(today),
    }


class Checks:
    def __init__(self, quiet=False):
        self.broken = []
        self.quiet = quiet

    def report(self, name, problems, detail=""):
        if problems:
            self.broken.append(name)
        if self.quiet:
            return
        print(f"  [{'BROKEN' if problems else 'ok'}] {name}{f' ({detail})' if detail else ''}")
        for problem in problems[:10]:
            print(f"           {problem}")
        if len(problems) > 10:
            print(f"           ... and {len(problems) - 10} more")


def differ(a, b):
    return float_compare(a, b, precision_digits=PRECISION) != 0


CHECK_ACKS = "every acknowledged time entry exists once"
CHECK_PACKS = "no pack below zero"
CHECK_HOURS = "pack draws + billed + held/refused = logged hours"
CHECK_TWICE = "no timesheet billed twice"
CHECK_LEAK = "no leak"
CHECK_PORTAL = "no portal page showed another customer's reference"


def check(env, data, result, quiet=False):
    """Run every check; returns the names of the broken ones."""
    env.invalidate_all()
    checks = Checks(quiet)
    check_acks(env, result, checks)
    check_packs(env, data, checks)
    tickets = env["support.ticket"].browse(data["tickets"])
    lines = env["account.analytic.line"].search([("support_ticket_id", "in", tickets.ids)])
    within = check_hours(env, tickets, lines, checks)
    check_billed_once(env, tickets, lines, within, checks)
    check_portal(env, result, checks)
    return checks.broken


def check_acks(env, result, checks):
    acks, unacked = result["acks"], result["unacked"]
    rows = env["account.analytic.line"].search_read(
        [("name", "in", [entry["tag"] for entry in acks + unacked])],
        ["name", "support_ticket_id", "unit_amount"],
    )
    counts = defaultdict(int)
    by_tag = {}
    for row in rows:
        counts[row["name"]] += 1
        by_tag[row["name"]] = row
    problems = []
    for entry in acks:
        tag, row = entry["tag"], by_tag.get(entry["tag"])
        if counts[tag] != 1:
            problems.append(f"acknowledged {tag} exists {counts[tag]} times")
        elif row["id"] != entry["id"] or row["support_ticket_id"][0] != entry["ticket"]:
            problems.append(f"acknowledged {tag} is not the line the server returned")
        elif differ(row["unit_amount"], entry["hours"]):
            problems.append(f"{tag}: {row['unit_amount']} h instead of {entry['hours']}")
    problems += [
        f"unacknowledged {entry['tag']} exists {counts[entry['tag']]} times"
        for entry in unacked
        if counts[entry["tag"]] > 1
    ]
    stored = sum(1 for entry in unacked if counts[entry["tag"]])
    checks.report(
        CHECK_ACKS,
        problems,
        f"{len(acks)} acknowledged, {len(unacked)} failed, {stored} of these stored anyway",
    )


def check_packs(env, data, checks):
    """The load test's customers' packs: draws never exceed the hours."""
    env.cr.execute(
        """SELECT p.name, p.hours, p.hours_remaining, COALESCE(SUM(c.hours), 0)
             FROM support_hour_pack p LEFT JOIN support_hour_pack_consumption c ON c.pack_id = p.id
            WHERE p.partner_id IN %s
            GROUP BY p.id""",
        [tuple(data["customers"])],
    )
    problems = []
    rows = env.cr.fetchall()
    for name, hours, remaining, drawn in rows:
        if float_compare(drawn, hours, precision_digits=PRECISION) > 0:
            problems.append(f"pack {name}: {drawn} h drawn from {hours} h")
        if differ(remaining, hours - drawn):
            problems.append(f"pack {name}: {remaining} h remaining, {hours - drawn} by its draws")
    drawn = sum(row[3] for row in rows)
    checks.report(CHECK_PACKS, problems, f"{len(rows)} packs, {drawn:g} h drawn")


def line_problem(line, drawn_by_line):
    """What is wrong with the accounting of a line's hours by its status, or None; and the
    hours of the line settled within a per-request minimum already invoiced (neither drawn nor
    billed: checked against the invoices, see check_billed_once)."""
    logged, drawn = line.unit_amount, line.support_pack_hours
    billed, status = line.support_billed_hours, line.support_billing_status
    within = 0.0
    if differ(drawn, drawn_by_line[line.id]):
        return f"line {line.id}: {drawn} h from packs, {drawn_by_line[line.id]} h drawn", within
    if status == "covered":
        wrong = differ(drawn, 0) or differ(billed, 0)
    elif status == "within_minimum":
        wrong = differ(drawn, 0) or differ(billed, 0)
        within = logged
    elif status in ("pack", "to_invoice", "invoiced"):
        within = logged - drawn - billed
        wrong = float_compare(within, 0, PRECISION) < 0 or (status == "pack" and differ(billed, 0))
    elif status in ("held", "refused", "written_off"):
        wrong = differ(billed, 0) or float_compare(drawn, logged, PRECISION) >= 0
    else:
        return None, within  # a leak, reported by its own check
    if wrong:
        return f"line {line.id} {status}: {logged} h logged, {drawn} drawn, {billed} billed", within
    return None, within


def check_hours(env, tickets, lines, checks):
    """Every hour logged accounted for from the lines' billing statuses; no leak."""
    drawn_by_line = defaultdict(float)
    drawn_by_ticket = defaultdict(float)
    for consumption in env["support.hour.pack.consumption"].search(
        [("ticket_id", "in", tickets.ids)]
    ):
        drawn_by_ticket[consumption.ticket_id.id] += consumption.hours
        if consumption.timesheet_id:
            drawn_by_line[consumption.timesheet_id.id] += consumption.hours
    problems, leaks = [], []
    totals = defaultdict(float)
    logged_by_ticket = defaultdict(float)
    within_by_ticket = defaultdict(float)
    for line in lines:
        status = line.support_billing_status
        totals[status] += line.unit_amount
        logged_by_ticket[line.support_ticket_id.id] += line.unit_amount
        problem, within = line_problem(line, drawn_by_line)
        within_by_ticket[line.support_ticket_id.id] += within
        if problem:
            problems.append(problem)
        if status not in SETTLED + ("held", "refused"):
            leaks.append(f"line {line.id} of a ticket is in status {status}")
        elif status == "held" and not line.support_partner_id.support_cost_control:
            leaks.append(f"line {line.id} held for a customer without cost control")
    for ticket in tickets:
        logged, drawn = logged_by_ticket[ticket.id], drawn_by_ticket[ticket.id]
        if differ(ticket.hours_logged, logged):
            problems.append(f"{ticket.number}: {ticket.hours_logged} h tracked, lines: {logged}")
        if differ(ticket.hours_from_pack, drawn):
            problems.append(
                f"{ticket.number}: {ticket.hours_from_pack} h from packs, {drawn} drawn"
            )
    summary = ", ".join(f"{status} {hours:g} h" for status, hours in sorted(totals.items()))
    checks.report(CHECK_HOURS, problems, f"{len(lines)} lines: {summary}")
    checks.report(CHECK_LEAK, leaks)
    return within_by_ticket


def check_billed_once(env, tickets, lines, within, checks):
    """Per ticket, invoiced quantity = billed hours of the linked timesheets + at most the
    per-request minimum or rounding step of its billing type; hours settled within an invoiced
    minimum do not exceed what the invoices hold beyond the linked timesheets."""
    problems = []
    inv_lines = env["account.move.line"].search(
        [("support_ticket_id", "in", tickets.ids), ("parent_state", "!=", "cancel")]
    )
    qty_by_ticket = defaultdict(float)
    for inv_line in inv_lines:
        qty_by_ticket[inv_line.support_ticket_id.id] += inv_line.quantity
    billed_linked = defaultdict(float)
    for line in lines.filtered("support_invoice_line_id"):
        inv_line = line.support_invoice_line_id
        if (
            inv_line.parent_state == "cancel"
            or inv_line.support_ticket_id != line.support_ticket_id
        ):
            problems.append(
                f"line {line.id} is on {inv_line.move_id.name} ({inv_line.parent_state})"
            )
        billed_linked[line.support_ticket_id.id] += line.support_billed_hours
    for ticket in tickets:
        btype = ticket._support_billing_type()
        extra = qty_by_ticket[ticket.id] - billed_linked[ticket.id]
        bound = max(btype.min_billed_hours, btype.rounding_step)
        if float_compare(extra, 0, PRECISION) < 0 or float_compare(extra, bound, PRECISION) > 0:
            problems.append(
                f"{ticket.number}: {qty_by_ticket[ticket.id]} h invoiced for "
                f"{billed_linked[ticket.id]} h of linked time (minimum {bound} h)"
            )
        if float_compare(within[ticket.id], max(extra, 0), PRECISION) > 0:
            problems.append(
                f"{ticket.number}: {within[ticket.id]} h settled within a minimum, "
                f"{extra} h of minimum invoiced"
            )
    checks.report(
        CHECK_TWICE,
        problems,
        f"{len(inv_lines)} invoice lines on {len(inv_lines.move_id)} invoices, "
        f"{sum(qty_by_ticket.values()):g} h invoiced",
    )


def check_portal(env, result, checks):
    """Portal pages showed only references of the user's own customer's requests."""
    numbers = {reference for reference, _customer, _url in result["portal_refs"]}
    owner = {
        row["number"]: row["commercial_partner_id"][0]
        for row in env["support.ticket"].search_read(
            [("number", "in", list(numbers))], ["number", "commercial_partner_id"]
        )
    }
    problems = [
        f"{url} showed {reference} to a user of customer {customer}"
        for reference, customer, url in result["portal_refs"]
        if owner.get(reference) != customer
    ]
    checks.report(
        CHECK_PORTAL,
        sorted(set(problems)),
        f"{len(result['portal_refs'])} references seen in portal pages",
    )


def self_test(env, data, result):
    """Break each invariant on purpose, in a savepoint, and check that its check notices.

    Logs 1.5 h on each shared ticket first (past the 1 h packs: drawn, billed and held hours),
    and invoices when the run did not, so that every check has something to look at however
    short the run was. Everything is rolled back by the caller.
    """
    cr = env.cr
    tickets = tuple(data["tickets"])
    consultant = env["res.users"].search([("login", "=", data["consultants"][0]["login"])])
    env["account.analytic.line"].with_user(consultant).create(
        [{"support_ticket_id": t, "unit_amount": 1.5, "name": "load self-test"} for t in tickets]
    )
    env.flush_all()
    if check(env, data, result, quiet=True):
        print("  [FAILED] the checks already fail before anything is broken")
        return 1
    others = env["support.ticket"].search([("commercial_partner_id", "not in", data["customers"])])

    def fake_ack(result):
        entry = {"tag": "load never logged", "ticket": tickets[0], "hours": 1, "id": 0}
        result["acks"].append(entry)

    def overdraw(_result):
        cr.execute(
            """UPDATE support_hour_pack SET hours = 0
                WHERE id = (SELECT min(pack_id) FROM support_hour_pack_consumption
                             WHERE ticket_id IN %s)""",
            [tickets],
        )
        return cr.rowcount

    def misaccount(_result):
        cr.execute(
            """UPDATE account_analytic_line
                  SET support_billed_hours = COALESCE(support_billed_hours, 0) + 0.25
                WHERE id = (SELECT min(id) FROM account_analytic_line
                             WHERE support_ticket_id IN %s AND support_invoice_line_id IS NULL)""",
            [tickets],
        )
        return cr.rowcount

    def bill_twice(_result):
        if not env["account.move.line"].search_count([("support_ticket_id", "in", tickets)]):
            # The run invoiced nothing (a short run): invoice now.
            env["support.invoice.create"]._create_invoices_for(
                env["res.partner"].browse(data["invoiced_customers"]),
                fields.Date.to_date(data["date_from"]),
                fields.Date.to_date(data["date_to"]),
            )
            env.flush_all()
        cr.execute(
            """UPDATE account_move_line SET quantity = quantity * 2 + 1
                WHERE id = (SELECT min(id) FROM account_move_line WHERE support_ticket_id IN %s
                            AND parent_state != 'cancel')""",
            [tickets],
        )
        return cr.rowcount

    def leak(_result):
        cr.execute(
            """UPDATE account_analytic_line SET support_billing_status = 'none'
                WHERE id = (SELECT max(id) FROM account_analytic_line
                             WHERE support_ticket_id IN %s)""",
            [tickets],
        )
        return cr.rowcount

    def foreign_reference(result):
        customer = data["customers"][0]
        result["portal_refs"].append([others[:1].number, customer, "/my/support/tickets"])
        return len(others)

    cases = [
        (CHECK_ACKS, "an acknowledged entry that is not stored", fake_ack),
        (CHECK_PACKS, "a pack whose hours are set below its draws", overdraw),
        (CHECK_HOURS, "a line billing 0.25 h more than it logged", misaccount),
        (CHECK_TWICE, "an invoice line with more hours than its timesheets", bill_twice),
        (CHECK_LEAK, "a support line without a billing status", leak),
        (CHECK_PORTAL, "a page showing another customer's reference", foreign_reference),
    ]
    failures = 0
    for name, what, tamper in cases:
        tampered = json.loads(json.dumps(result))
        with closing(cr.savepoint(flush=False)):  # rolled back on close
            applied = tamper(tampered)
            broken = check(env, data, tampered, quiet=True)
        if applied == 0:
            print(f"  [NOT EXERCISED] {name}: nothing to break ({what})")
            failures += 1
        elif broken == [name]:
            print(f"  [ok] {what}: '{name}' is reported broken")
        else:
            print(f"  [FAILED] {what}: reported broken: {broken or 'nothing'}")
            failures += 1
    env.invalidate_all()
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["setup", "check"])
    parser.add_argument("--self-test", action="store_true", help="check: also break each one")
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out")
    parser.add_argument("--data")
    parser.add_argument("--result")
    parser.add_argument("--customers", type=int, default=6)
    parser.add_argument("--consultants", type=int, default=6)
    args = parser.parse_args()
    config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    with Registry(args.db).cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env = env(context=dict(env.context, allowed_company_ids=[env.ref("base.main_company").id]))
        if args.command == "setup":
            data = setup(env, args.customers, args.consultants)
            data["db"] = args.db
            with open(args.out, "w") as out:
                json.dump(data, out)
            return 0
        data = json.load(open(args.data))
        result = json.load(open(args.result))
        failed = check(env, data, result)
        if args.self_test:
            print("Self-test: each invariant broken on purpose in a rolled-back transaction:")
            failed = self_test(env, data, result) or failed
        cr.rollback()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
