from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.support_hour_pack_revenue import PACK_REVENUE_EVENTS


class SupportHourPackRevenue(models.Model):
    """Each deferred pack's value in the books (a read-only SQL view): sold and credited on
    the deferred revenue account, recognised by the posted pack revenue entries, and what is
    still deferred; the deferred total is the balance of the deferred revenue accounts. Earned
    to date is what the pack revenue rule gives up to today: the next recognition posts the
    difference."""

    _name = "support.hour.pack.revenue"
    _description = "Prepaid Pack Revenue"
    _auto = False
    _order = "date_start desc, pack_id"
    _rec_name = "pack_id"
    _depends = {  # noqa: RUF012
        "account.move.line": [
            "balance",
            "quantity",
            "account_id",
            "parent_state",
            "support_pack_id",
            "support_pack_sale_line_id",
        ],
        "support.hour.pack": [
            "partner_id",
            "company_id",
            "hours",
            "date_start",
            "date_end",
            "invoice_line_id",
            "deferred_account_id",
        ],
        "support.hour.pack.consumption": ["pack_id", "hours", "date"],
    }

    pack_id = fields.Many2one("support.hour.pack", string="Pack", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    account_id = fields.Many2one("account.account", string="Deferred Account", readonly=True)
    date_start = fields.Date(string="Valid From", readonly=True)
    date_end = fields.Date(string="Valid Until", readonly=True)
    hours = fields.Float(readonly=True)
    hours_used = fields.Float(string="Hours Drawn", readonly=True)
    sold_amount = fields.Monetary(string="Sold", readonly=True)
    credited_amount = fields.Monetary(string="Credited", readonly=True)
    recognised_amount = fields.Monetary(
        string="Recognised", readonly=True, help="Moved to income by posted pack revenue entries."
    )
    deferred_amount = fields.Monetary(
        string="Deferred",
        readonly=True,
        help="Still owed to the customer: sold, less credited "
        "and recognised (the pack's balance on the deferred revenue account).",
    )
    earned_amount = fields.Monetary(
        string="Earned to Date",
        readonly=True,
        help="The value of the hours drawn up to today and, once expired, of the hours left.",
    )
    to_recognise_amount = fields.Monetary(
        string="To Recognise", readonly=True, help="Earned to date, not yet recognised."
    )

    def _query(self):
        return f"""
            SELECT p.id, p.id AS pack_id, p.partner_id, p.company_id,
                   p.deferred_account_id AS account_id, p.date_start, p.date_end, p.hours,
                   p.hours_used, s.sold_amount, s.credited_amount, r.recognised_amount,
                   s.sold_amount - s.credited_amount - r.recognised_amount AS deferred_amount,
                   e.earned_amount,
                   e.earned_amount - r.recognised_amount AS to_recognise_amount
              FROM support_hour_pack p
              LEFT JOIN account_move_line sale
                     ON sale.id = p.invoice_line_id AND sale.parent_state = 'posted'
                    AND sale.account_id = p.deferred_account_id
              CROSS JOIN LATERAL (
                  SELECT COALESCE(-sale.balance / NULLIF(ROUND(sale.quantity), 0), 0.0)
                             AS sold_amount,
                         COALESCE((
                             SELECT SUM(c.balance)
                               FROM account_move_line c
                              WHERE c.support_pack_sale_line_id = sale.id
                                AND c.parent_state = 'posted'
                                AND c.account_id = p.deferred_account_id
                         ) / NULLIF(ROUND(sale.quantity), 0), 0.0) AS credited_amount
              ) s
              CROSS JOIN LATERAL (
                  SELECT COALESCE(SUM(l.balance), 0.0) AS recognised_amount
                    FROM account_move_line l
                   WHERE l.support_pack_id = p.id AND l.parent_state = 'posted'
                     AND l.account_id = p.deferred_account_id
              ) r
              LEFT JOIN (
                  SELECT ev.pack_id, SUM(ev.amount) AS earned_amount
                    FROM ({PACK_REVENUE_EVENTS}) ev
                   WHERE ev.day <= CURRENT_DATE
                   GROUP BY ev.pack_id
              ) e0 ON e0.pack_id = p.id
              CROSS JOIN LATERAL (SELECT COALESCE(e0.earned_amount, 0.0) AS earned_amount) e
             WHERE p.deferred_account_id IS NOT NULL
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
