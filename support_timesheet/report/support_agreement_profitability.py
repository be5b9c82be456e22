from dateutil.relativedelta import relativedelta

from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.support_hour_pack_revenue import PACK_REVENUE_EVENTS

# The agreement a customer's billable work, pack draws and pack sales count for: the covering
# agreement of the ticket, else the customer's agreement in force that day with the highest fee
# (maintenance before patch before On-Demand). ``%(partner)s``, ``%(company)s`` are SQL
# expressions of the branch; ``%(in_force)s`` support.agreement's ``_get_in_force_sql`` on its day.
AGREEMENT_IN_FORCE = """
    LEFT JOIN LATERAL (
        SELECT a.id
          FROM support_agreement a
         WHERE a.partner_id = %(partner)s
           AND a.company_id = %(company)s
           AND %(in_force)s
         ORDER BY a.monthly_fee DESC, a.id
         LIMIT 1
    ) in_force ON TRUE
"""
# Invoice lines that count as earned: posted, on a customer invoice or credit note that no posted
# credit note reverses (credit notes and cancellations also release what the invoice billed).
EARNED_LINE = """
    aml.parent_state = 'posted'
    AND NOT EXISTS (
        SELECT 1 FROM account_move rev
         WHERE rev.reversed_entry_id = aml.move_id AND rev.state = 'posted'
    )
"""


class SupportAgreementProfitability(models.Model):
    """What each agreement earned and what its work cost, per month (a read-only SQL view).

    Earned: the monthly fees (by the month they are for), billable work invoiced (by invoice
    date) and the packs' recognised income, the pack revenue rule of ``PACK_REVENUE_EVENTS`` (hours
    drawn by the day of the work, hours left at expiry, at the price the pack was sold for less
    its credit notes; a pack not sold on an invoice earns nothing). Pack sales are shown apart.
    Cost: the hours logged at the cost Odoo records on each timesheet line (the employee's
    hourly cost when the time was logged).
    Only posted invoices that no posted credit note reverses count; a fee less the share of the
    month credited as no longer due (``credited_ratio``).
    """

    _name = "support.agreement.profitability"
    _description = "Support Agreement Profitability"
    _auto = False
    _order = "date desc, agreement_id"
    _rec_name = "agreement_id"
    # Pending ORM writes to these fields are flushed before the view is read.
    _depends = {  # noqa: RUF012
        "account.analytic.line": [
            "support_ticket_id",
            "support_billing_status",
            "unit_amount",
            "amount",
            "date",
            "company_id",
        ],
        "account.move": ["state", "reversed_entry_id"],
        "account.move.line": [
            "balance",
            "quantity",
            "date",
            "parent_state",
            "move_id",
            "company_id",
            "support_ticket_id",
            "support_pack_sale_line_id",
        ],
        "support.agreement": [
            "partner_id",
            "type_id",
            "company_id",
            "state",
            "date_start",
            "date_end",
            "monthly_fee",
        ],
        "support.agreement.fee.period": [
            "agreement_id",
            "date_start",
            "amount",
            "ratio",
            "credited_ratio",
            "invoice_line_id",
        ],
        "support.hour.pack": ["partner_id", "company_id", "hours", "invoice_line_id", "date_end"],
        "support.hour.pack.consumption": ["pack_id", "ticket_id", "hours", "date"],
        "support.ticket": [
            "commercial_partner_id",
            "company_id",
            "request_date",
            "coverage_agreement_id",
        ],
    }

    date = fields.Date(string="Month", readonly=True)
    agreement_id = fields.Many2one("support.agreement", string="Agreement", readonly=True)
    type_id = fields.Many2one("support.agreement.type", string="Agreement Type", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    fee_amount = fields.Monetary(string="Fees Invoiced", readonly=True)
    billable_amount = fields.Monetary(string="Billable Work Invoiced", readonly=True)
    billable_hours = fields.Float(string="Hours Invoiced", readonly=True)
    pack_drawn_amount = fields.Monetary(string="Value of Pack Hours Drawn", readonly=True)
    pack_drawn_hours = fields.Float(string="Pack Hours Drawn", readonly=True)
    pack_sold_amount = fields.Monetary(
        string="Packs Sold",
        readonly=True,
        help="Prepaid packs invoiced; they count as earned when their hours are drawn.",
    )
    pack_sold_hours = fields.Float(string="Pack Hours Sold", readonly=True)
    pack_expired_amount = fields.Monetary(
        string="Value of Pack Hours Expired",
        readonly=True,
        help="The hours left on packs that expired, at the price they were sold for, in the "
        "month after their last valid day.",
    )
    pack_expired_hours = fields.Float(string="Pack Hours Expired", readonly=True)
    revenue = fields.Monetary(
        string="Earned",
        readonly=True,
        help="Fees, billable work invoiced and the packs' recognised income (hours drawn and "
        "hours expired), not their sales.",
    )
    covered_hours = fields.Float(string="Covered Hours", readonly=True)
    covered_cost = fields.Monetary(string="Cost of Covered Work", readonly=True)
    other_hours = fields.Float(string="Other Hours", readonly=True, help="Billable or pack work.")
    other_cost = fields.Monetary(string="Cost of Other Work", readonly=True)
    cost = fields.Monetary(string="Cost", readonly=True)
    margin = fields.Monetary(readonly=True)
    is_covered_loss = fields.Boolean(
        string="Covered Work Costs More Than the Fee",
        readonly=True,
        help="The covered work of the month cost more than the fees invoiced for it.",
    )

    def _branches(self):
        """(measures, SQL select) pairs: each select gives agreement_id, partner_id, company_id,
        day and the measures it adds. Extend to add a source of revenue or cost."""
        Agreement = self.env["support.agreement"]

        def in_force(day):
            sql = Agreement._get_in_force_sql("a", SQL(day))
            return self.env.cr.mogrify(sql.code, sql.params).decode()

        lookup = AGREEMENT_IN_FORCE % {
            "partner": "t.commercial_partner_id",
            "company": "t.company_id",
            "in_force": in_force("t.request_date"),
        }
        sold_lookup = AGREEMENT_IN_FORCE % {
            "partner": "p.partner_id",
            "company": "p.company_id",
            "in_force": in_force("aml.date"),
        }
        expired_lookup = (
            AGREEMENT_IN_FORCE
            % {
                "partner": "p.partner_id",
                "company": "p.company_id",
                "in_force": in_force("p.date_end"),
            }
        ).replace("in_force ON TRUE", "expired_in_force ON TRUE")
        return [
            (
                ("fee_amount",),
                f"""
                SELECT fp.agreement_id, a.partner_id, a.company_id, fp.date_start AS day,
                       -aml.balance * COALESCE(
                           fp.amount / NULLIF(SUM(fp.amount) OVER w, 0), 1.0 / COUNT(*) OVER w
                       ) * (1 - COALESCE(fp.credited_ratio / NULLIF(fp.ratio, 0), 0))
                           AS fee_amount
                  FROM support_agreement_fee_period fp
                  JOIN support_agreement a ON a.id = fp.agreement_id
                  JOIN account_move_line aml ON aml.id = fp.invoice_line_id
                 WHERE {EARNED_LINE}
                WINDOW w AS (PARTITION BY fp.invoice_line_id)
            """,
            ),
            (
                ("billable_amount", "billable_hours"),
                f"""
                SELECT COALESCE(t.coverage_agreement_id, in_force.id) AS agreement_id,
                       t.commercial_partner_id AS partner_id, aml.company_id, aml.date AS day,
                       -aml.balance AS billable_amount,
                       CASE WHEN aml.balance > 0 THEN -aml.quantity ELSE aml.quantity END
                           AS billable_hours
                  FROM account_move_line aml
                  JOIN support_ticket t ON t.id = aml.support_ticket_id
                  {lookup}
                 WHERE {EARNED_LINE}
            """,
            ),
            (
                ("pack_sold_amount", "pack_sold_hours"),
                f"""
                SELECT in_force.id AS agreement_id, p.partner_id, p.company_id, aml.date AS day,
                       -aml.balance / COUNT(*) OVER (PARTITION BY aml.id) AS pack_sold_amount,
                       p.hours AS pack_sold_hours
                  FROM support_hour_pack p
                  JOIN account_move_line aml ON aml.id = p.invoice_line_id
                  {sold_lookup}
                 WHERE {EARNED_LINE}
            """,
            ),
            (
                ("pack_drawn_amount", "pack_drawn_hours"),
                f"""
                SELECT COALESCE(t.coverage_agreement_id, in_force.id) AS agreement_id,
                       t.commercial_partner_id AS partner_id, p.company_id, e.day,
                       e.amount AS pack_drawn_amount, e.hours AS pack_drawn_hours
                  FROM ({PACK_REVENUE_EVENTS}) e
                  JOIN support_hour_pack p ON p.id = e.pack_id
                  JOIN support_ticket t ON t.id = e.ticket_id
                  {lookup}
                 WHERE e.kind = 'drawn'
            """,
            ),
            (
                ("pack_expired_amount", "pack_expired_hours"),
                f"""
                SELECT expired_in_force.id AS agreement_id, p.partner_id, p.company_id, e.day,
                       e.amount AS pack_expired_amount, e.hours AS pack_expired_hours
                  FROM ({PACK_REVENUE_EVENTS}) e
                  JOIN support_hour_pack p ON p.id = e.pack_id
                  {expired_lookup}
                 WHERE e.kind = 'expired' AND e.day <= CURRENT_DATE
            """,
            ),
            (
                ("covered_hours", "covered_cost", "other_hours", "other_cost"),
                f"""
                SELECT COALESCE(t.coverage_agreement_id, in_force.id) AS agreement_id,
                       t.commercial_partner_id AS partner_id, l.company_id, l.date AS day,
                       CASE WHEN l.support_billing_status = 'covered' THEN l.unit_amount END
                           AS covered_hours,
                       CASE WHEN l.support_billing_status = 'covered' THEN -l.amount END
                           AS covered_cost,
                       CASE WHEN l.support_billing_status != 'covered' THEN l.unit_amount END
                           AS other_hours,
                       CASE WHEN l.support_billing_status != 'covered' THEN -l.amount END
                           AS other_cost
                  FROM account_analytic_line l
                  JOIN support_ticket t ON t.id = l.support_ticket_id
                  {lookup}
            """,
            ),
        ]

    def _query(self):
        measures = [
            "fee_amount",
            "billable_amount",
            "billable_hours",
            "pack_sold_amount",
            "pack_sold_hours",
            "pack_drawn_amount",
            "pack_drawn_hours",
            "pack_expired_amount",
            "pack_expired_hours",
            "covered_hours",
            "covered_cost",
            "other_hours",
            "other_cost",
        ]
        selects = []
        for provided, branch in self._branches():
            columns = ", ".join(
                f"COALESCE(b.{m}, 0.0) AS {m}" if m in provided else f"0.0 AS {m}" for m in measures
            )
            selects.append(
                f"SELECT b.agreement_id, b.partner_id, b.company_id, "
                f"date_trunc('month', b.day)::date AS date, {columns} FROM ({branch}) b"
            )
        sums = ", ".join(f"SUM(u.{m}) AS {m}" for m in measures)
        return f"""
            SELECT row_number() OVER (ORDER BY s.date, s.company_id, s.partner_id, s.agreement_id)
                       AS id,
                   s.*, a.type_id,
                   s.fee_amount + s.billable_amount + s.pack_drawn_amount
                       + s.pack_expired_amount AS revenue,
                   s.covered_cost + s.other_cost AS cost,
                   s.fee_amount + s.billable_amount + s.pack_drawn_amount
                       + s.pack_expired_amount - s.covered_cost - s.other_cost AS margin,
                   s.covered_cost > s.fee_amount AS is_covered_loss
              FROM (
                SELECT u.agreement_id, u.partner_id, u.company_id, u.date, {sums}
                  FROM ({" UNION ALL ".join(selects)}) u
                 GROUP BY u.agreement_id, u.partner_id, u.company_id, u.date
              ) s
              LEFT JOIN support_agreement a ON a.id = s.agreement_id
        """

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(self._query()),
            )
        )


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    profitability_margin = fields.Monetary(
        string="Margin (12 Months)",
        compute="_compute_profitability_margin",
        groups="support_contract.group_support_manager,account.group_account_invoice",
        help="What the agreement earned minus what its work cost over the last 12 months.",
    )

    def _profitability_since(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1) - relativedelta(months=11)

    def _compute_profitability_margin(self):
        groups = self.env["support.agreement.profitability"]._read_group(
            [("agreement_id", "in", self.ids), ("date", ">=", self._profitability_since())],
            ["agreement_id"],
            ["margin:sum"],
        )
        margins = {agreement.id: margin for agreement, margin in groups}
        for agreement in self:
            agreement.profitability_margin = margins.get(agreement.id, 0.0)

    def action_view_profitability(self):
        """The agreement's earnings, costs and margin over its last 12 months, by month."""
        self.ensure_one()
        self.env["support.agreement.profitability"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.support_agreement_profitability_action"
        )
        action["domain"] = [
            ("agreement_id", "=", self.id),
            ("date", ">=", self._profitability_since()),
        ]
        action["context"] = {"search_default_group_month": 1}
        action["display_name"] = self.env._(
            "Profitability of %(agreement)s", agreement=self.display_name
        )
        return action
