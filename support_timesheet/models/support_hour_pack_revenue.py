# Prepaid packs as deferred income: what a pack earns (its hours drawn, and at its expiry the
# hours left, at the pack's untaxed price per hour) and the monthly entry that recognises it.
import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, date_utils

from .support_billing_mixin import lock_rows

_logger = logging.getLogger(__name__)

# What each pack is worth, in the company's currency: its share of the untaxed amount of the
# posted invoice line that sold it (one pack per unit), less its share of the posted credit note
# lines linked to that sale (``support_pack_sale_line_id``). A pack not sold on an invoice is
# worth nothing.
PACK_VALUE = """
    SELECT p.id AS pack_id, p.company_id, p.partner_id, p.hours, p.date_end,
           p.deferred_account_id,
           COALESCE(
               (-sale.balance - COALESCE(credit.balance, 0.0)) / NULLIF(ROUND(sale.quantity), 0),
               0.0
           ) AS value,
           COALESCE(-sale.balance / NULLIF(ROUND(sale.quantity), 0), 0.0) AS sold,
           COALESCE(credit.balance / NULLIF(ROUND(sale.quantity), 0), 0.0) AS credited
      FROM support_hour_pack p
      LEFT JOIN account_move_line sale
             ON sale.id = p.invoice_line_id AND sale.parent_state = 'posted'
      LEFT JOIN LATERAL (
          SELECT SUM(r.balance) AS balance
            FROM account_move_line r
           WHERE r.support_pack_sale_line_id = sale.id AND r.parent_state = 'posted'
      ) credit ON TRUE
"""
# The one rule of what a pack earns and when: rows (pack_id, day, kind, ticket_id, hours,
# amount). Each draw earns its hours at the pack's price per hour on the day of the work; on the
# day after its last valid day the pack earns the value of the hours left. Read by the monthly
# recognition (rows up to its date) and by the agreement profitability (rows up to today).
PACK_REVENUE_EVENTS = f"""
    SELECT c.pack_id, c.date AS day, 'drawn' AS kind, c.ticket_id, c.hours,
           c.hours * v.value / NULLIF(v.hours, 0) AS amount
      FROM support_hour_pack_consumption c
      JOIN ({PACK_VALUE}) v ON v.pack_id = c.pack_id
    UNION ALL
    SELECT v.pack_id, v.date_end + 1 AS day, 'expired' AS kind, NULL AS ticket_id,
           v.hours - COALESCE(d.hours, 0.0) AS hours,
           (v.hours - COALESCE(d.hours, 0.0)) * v.value / NULLIF(v.hours, 0) AS amount
      FROM ({PACK_VALUE}) v
      LEFT JOIN (
          SELECT pack_id, SUM(hours) AS hours
            FROM support_hour_pack_consumption
           GROUP BY pack_id
      ) d ON d.pack_id = v.pack_id
"""


class SupportHourPack(models.Model):
    _inherit = "support.hour.pack"

    deferred_account_id = fields.Many2one(
        "account.account",
        string="Deferred Revenue Account",
        readonly=True,
        copy=False,
        help="Where the pack's sale was booked as deferred income (the company's setting when "
        "it was sold); empty: the sale was income at once.",
    )

    def _support_protected_fields(self):
        return super()._support_protected_fields() | {"deferred_account_id"}

    # ------------------------------------------------------------------ rights
    @api.model
    def _support_check_revenue_rights(self):
        """Recognising pack revenue posts journal entries: accountants and managers only,
        checked in the method before it goes on with ``sudo()``."""
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("account.group_account_invoice")
            or user.has_group("support_contract.group_support_manager")
        ):
            raise AccessError(
                self.env._("Only accountants and Support Managers recognise prepaid pack revenue.")
            )

    # ------------------------------------------------------------------ the true-up
    def _support_earned_until(self, date):
        """{pack id: (value, earned up to ``date``)} of these packs, by the pack revenue rule
        (``PACK_REVENUE_EVENTS``): for the recognition and the customer's statement."""
        if not self:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                f"""
                SELECT v.pack_id, v.value,
                       COALESCE(SUM(e.amount) FILTER (WHERE e.day <= %s), 0.0)
                  FROM ({PACK_VALUE}) v
                  LEFT JOIN ({PACK_REVENUE_EVENTS}) e ON e.pack_id = v.pack_id
                 WHERE v.pack_id IN %s
                 GROUP BY v.pack_id, v.value
                """,
                date,
                tuple(self.ids),
            )
        )
        return {pack_id: (value, earned) for pack_id, value, earned in self.env.cr.fetchall()}

    @api.model
    def _support_revenue_due(self, company, date):
        """{pack id: [should be recognised up to ``date``, recognised in posted entries]} of
        ``company``'s deferred packs."""
        packs = self.sudo().search(
            [("company_id", "=", company.id), ("deferred_account_id", "!=", False)]
        )
        due = {
            pack_id: [earned, 0.0]
            for pack_id, (_value, earned) in packs._support_earned_until(date).items()
        }
        self.env.cr.execute(
            SQL(
                """
                SELECT l.support_pack_id, SUM(l.balance)
                  FROM account_move_line l
                  JOIN support_hour_pack p ON p.id = l.support_pack_id
                 WHERE p.company_id = %s AND l.parent_state = 'posted'
                   AND l.account_id = p.deferred_account_id
                 GROUP BY l.support_pack_id
                """,
                company.id,
            )
        )
        for pack_id, amount in self.env.cr.fetchall():
            due.setdefault(pack_id, [0.0, 0.0])[1] = amount
        return due

    @api.model
    def _support_recognise_revenue(self, date, companies=None):
        """Recognise the prepaid pack revenue of ``companies`` (default: those with a deferred
        revenue account) up to ``date``: per company one posted entry for the month, moving per
        pack the difference between what it should have earned by then and what posted entries
        recognised, from the deferred account to the pack product's income account. A re-run
        with nothing changed posts nothing. Returns the entries posted."""
        self._support_check_revenue_rights()
        if companies is None:
            companies = (
                self.env["res.company"]
                .sudo()
                .search([("support_deferred_revenue_account_id", "!=", False)])
            )
        moves = self.env["account.move"]
        for company in companies.sudo():
            moves |= self.sudo().with_company(company)._support_recognise_company(company, date)
        return moves

    def _support_recognise_company(self, company, date):
        lock_rows(company)  # one recognition of a company at a time: one entry per month
        currency = company.currency_id
        due = self._support_revenue_due(company, date)
        diffs = {
            pack_id: currency.round(currency.round(target) - recognised)
            for pack_id, (target, recognised) in due.items()
        }
        diffs = {pack_id: diff for pack_id, diff in diffs.items() if not currency.is_zero(diff)}
        if not diffs:
            return self.env["account.move"]
        Move = self.env["account.move"]
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")],
            limit=1,
        )
        if not journal:
            raise UserError(
                self.env._(
                    "%(company)s has no miscellaneous journal to recognise pack revenue in.",
                    company=company.name,
                )
            )
        locks = company._get_violated_lock_dates(date, False, journal)
        accounting_date = locks[-1][0] + timedelta(days=1) if locks else date
        month_start = accounting_date.replace(day=1)
        entry = Move.search(
            [
                ("support_is_pack_revenue", "=", True),
                ("company_id", "=", company.id),
                # A secured (hashed) entry stays as it is: the difference gets its own entry.
                ("inalterable_hash", "=", False),
                ("date", ">=", month_start),
                ("date", "<=", date_utils.end_of(month_start, "month")),
            ],
            order="id",
            limit=1,
        )
        amounts = dict(diffs)
        if entry.state == "posted":
            # The month's entry is rewritten with what it already recognised plus the difference.
            for line in entry.line_ids.filtered(
                lambda line: line.support_pack_id
                and line.account_id == line.support_pack_id.deferred_account_id
            ):
                pack_id = line.support_pack_id.id
                amounts[pack_id] = amounts.get(pack_id, 0.0) + line.balance
        packs = self.browse(list(amounts))
        line_vals = []
        for pack in packs:
            amount = currency.round(amounts[pack.id])
            if currency.is_zero(amount):
                continue
            line_vals += pack._support_revenue_line_vals(amount)
        ref = self.env._(
            "Prepaid support packs: revenue recognised until %(date)s",
            date=fields.Date.to_string(date),
        )
        if entry:
            if entry.state != "draft":
                entry.button_draft()
            entry.write(
                {
                    "date": accounting_date,
                    "ref": ref,
                    "line_ids": [Command.delete(line.id) for line in entry.line_ids]
                    + [Command.create(vals) for vals in line_vals],
                }
            )
            if not line_vals:
                entry.button_cancel()
                return Move
        else:
            entry = Move.create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "company_id": company.id,
                    "date": accounting_date,
                    "ref": ref,
                    "support_is_pack_revenue": True,
                    "line_ids": [Command.create(vals) for vals in line_vals],
                }
            )
        entry.action_post()
        return entry

    def _support_income_account(self):
        """The income account of the pack's product, as its sale would have used it (the
        sale's fiscal position maps it)."""
        self.ensure_one()
        sale = self.invoice_line_id
        product = sale.product_id.product_tmpl_id.with_company(self.company_id)
        account = product.get_product_accounts(fiscal_pos=sale.move_id.fiscal_position_id)["income"]
        if not account:
            raise UserError(
                self.env._(
                    "The product %(product)s of support pack %(pack)s has no income account.",
                    product=sale.product_id.display_name,
                    pack=self.name,
                )
            )
        return account

    def _support_revenue_line_vals(self, amount):
        """The two lines moving ``amount`` of the pack's revenue from deferred to income (a
        negative amount moves it back)."""
        self.ensure_one()
        name = self.env._(
            "Prepaid support pack %(pack)s, %(customer)s",
            pack=self.name,
            customer=self.partner_id.name,
        )
        common = {"name": name, "partner_id": self.partner_id.id, "support_pack_id": self.id}
        return [
            {**common, "account_id": self.deferred_account_id.id, "balance": amount},
            {**common, "account_id": self._support_income_account().id, "balance": -amount},
        ]

    @api.model
    def _cron_recognise_revenue(self):
        """Monthly: every company's pack revenue up to the end of the previous month (the
        scheduler's own path: sudo). A company without a miscellaneous journal is skipped."""
        today = fields.Date.context_today(self)
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("support_deferred_revenue_account_id", "!=", False)])
        )
        Journal = self.env["account.journal"].sudo()
        ready = companies.filtered(
            lambda c: Journal.search_count(
                [*Journal._check_company_domain(c), ("type", "=", "general")], limit=1
            )
        )
        for company in companies - ready:
            _logger.warning("Support: no miscellaneous journal in %s, pack revenue", company.name)
        moves = self.sudo()._support_recognise_revenue(
            today.replace(day=1) - timedelta(days=1), ready
        )
        _logger.info("Support: recognised prepaid pack revenue in %d entries", len(moves))
        return moves
