# Run by scripts/upgrade_test.sh in `odoo shell` after `odoo -u` (``env`` is the shell's): the
# data of a database from before fee lines and environments, as the migrations leave it.
# Prints "ok ..." or "FAIL ..." per check, then "checks done". Changes nothing (rolled back).
import datetime

from odoo import fields

env = env  # noqa: F821 - given by odoo shell


def check(ok, what):
    print(f"{'ok' if ok else 'FAIL'} {what}")


cr = env.cr
cr.execute("SELECT id, monthly_fee FROM upgrade_check_agreements ORDER BY id")
fees = {agreement_id: fee for agreement_id, fee in cr.fetchall()}
cr.execute("SELECT id, agreement_id FROM upgrade_check_periods")
old_periods = dict(cr.fetchall())
modules = env["ir.module.module"].search(
    [("name", "in", ("support_contract", "support_timesheet"))]
)
check(
    set(modules.mapped("latest_version")) == {"19.0.1.2.0"}
    and set(modules.mapped("state")) == {"installed"},
    f"modules upgraded: {modules.mapped(lambda m: (m.name, m.state, m.latest_version))}",
)
Agreement = env["support.agreement"].with_context(active_test=False)
with_fee = Agreement.browse([a for a, fee in fees.items() if fee])
check(
    len(with_fee) >= 3 and old_periods,
    f"the old database had {len(with_fee)} agreements with a fee and {len(old_periods)} fee months",
)
for agreement in with_fee:
    line = agreement.fee_line_ids
    old_fee = float(fees[agreement.id])
    check(
        len(line) == 1
        and line.quantity == 1.0
        and line.price_unit == old_fee
        and not line.environment_id
        and not line.date_start
        and not line.date_end,
        f"{agreement.name}: its fee {old_fee} is one fee line "
        f"({line.mapped(lambda x: (x.quantity, x.price_unit))})",
    )
    check(
        agreement.monthly_fee == old_fee,
        f"{agreement.name}: monthly fee {agreement.monthly_fee} unchanged",
    )
    check(
        line.product_id == agreement.type_id.fee_product_id,
        f"{agreement.name}: the line bills the type's fee product {line.product_id.display_name}",
    )
without = Agreement.browse([a for a, fee in fees.items() if not fee])
check(not without.fee_line_ids, f"{len(without)} agreements without a fee have no fee line")
periods = env["support.agreement.fee.period"].browse(list(old_periods))
check(periods.exists() == periods, f"the {len(periods)} fee months are kept")
check(
    all(
        p.agreement_id.id == old_periods[p.id] and p.fee_line_id == p.agreement_id.fee_line_ids
        for p in periods
    ),
    "each fee month belongs to its agreement's one fee line",
)
# The fee run, up to the end of last month (the demo invoiced up to there): nothing again.
today = fields.Date.context_today(Agreement)
last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
moves = with_fee._invoice_monthly_fees(until=last_month_end)
check(not moves, f"the fee run invoices no month again ({moves.mapped('amount_untaxed')})")
# The statement of last month tells the fees as invoiced, nothing left to invoice.
patch = env.ref("support_contract.agreement_patch")
statement = (
    env["support.statement"]
    .sudo()
    .create(
        {
            "partner_id": patch.partner_id.id,
            "company_id": patch.company_id.id,
            "date": last_month_end.replace(day=1),
        }
    )
)
values = statement._statement_values()
rows = [fee for row in values["agreements"] for fee in row["fees"]]
check(
    rows and all(fee["state"] == "invoiced" for fee in rows) and not values["fees_to_invoice"],
    f"last month's statement: fees {[(f['label'], f['state'], f['amount']) for f in rows]}, "
    f"to invoice {len(values['fees_to_invoice'])}",
)
# The other migrations of the same upgrade (19.0.1.1.0).
types = env.ref("support_contract.agreement_type_patch") | env.ref(
    "support_contract.agreement_type_maintenance"
)
check(
    types.mapped("environment_patch_type") == ["infrastructure", "odoo_source"],
    f"seeded types patch {types.mapped('environment_patch_type')}",
)
check(
    env.ref("support_contract.stage_waiting").is_sla_paused, "Waiting for Customer pauses the clock"
)
check(
    all(env["res.company"].search([]).mapped("support_infra_patch_category_id")),
    "each company has its infrastructure patch category",
)
cr.rollback()
print("checks done")
