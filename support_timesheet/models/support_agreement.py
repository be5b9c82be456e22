import calendar
import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, float_round

from odoo.addons.support_contract.models.support_agreement import IN_FORCE_STATES

_logger = logging.getLogger(__name__)


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "agreement_id", string="Invoiced Fee Periods", readonly=True
    )
    fee_period_count = fields.Integer(compute="_compute_fee_period_count")
    has_monthly_fee = fields.Boolean(related="type_id.has_monthly_fee")
    fee_date_from = fields.Date(
        string="Invoice Fees From",
        compute="_compute_fee_date_from",
        store=True,
        readonly=False,
        help="Monthly fees are invoiced from this date (default: the start of the agreement). "
        "On installation, existing agreements start at the current month.",
    )

    @api.depends("date_start")
    def _compute_fee_date_from(self):
        for agreement in self:
            agreement.fee_date_from = agreement.date_start

    def _compute_fee_period_count(self):
        groups = self.env["support.agreement.fee.period"]._read_group(
            [("agreement_id", "in", self.ids)], ["agreement_id"], ["__count"]
        )
        data = {agreement.id: count for agreement, count in groups}
        for agreement in self:
            agreement.fee_period_count = data.get(agreement.id, 0)

    # ------------------------------------------------------------------ monthly fees
    def _fee_periods_until(self, until):
        """Months of the agreement up to `until`, prorated by day.

        Returns tuples (month start, month end, ratio, billed from, billed to).
        """
        self.ensure_one()
        periods = []
        first = max(self.date_start, self.fee_date_from or self.date_start)
        month = first.replace(day=1)
        last = min(until, self.date_end) if self.date_end else until
        while month <= last:
            days = calendar.monthrange(month.year, month.month)[1]
            month_end = month + relativedelta(day=days)
            start = max(month, first)
            end = min(month_end, self.date_end) if self.date_end else month_end
            if start <= end:
                ratio = ((end - start).days + 1) / days
                periods.append((month, month_end, ratio, start, end))
            month += relativedelta(months=1)
        return periods

    def _invoice_monthly_fees(self, until=None):
        """Draft invoices (one per customer and company) for fee months not invoiced yet.

        A month is invoiced at most once: the fee period row is unique per agreement and month
        and is created with its invoice line (``_prepare_support_invoice_line_values``), in the
        same transaction.
        """
        until = until or fields.Date.context_today(self)
        agreements = self.filtered(
            lambda a: a.state in IN_FORCE_STATES
            and a.type_id.has_monthly_fee
            and not float_is_zero(a.monthly_fee, precision_digits=2)
        )
        if not agreements:
            return self.env["account.move"]
        self.env.cr.execute(
            "SELECT id FROM support_agreement WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT",
            [tuple(agreements.ids)],
        )
        done = {
            (period.agreement_id.id, period.date_start)
            for period in self.env["support.agreement.fee.period"]
            .sudo()
            .search([("agreement_id", "in", agreements.ids)])
        }
        todo = defaultdict(list)
        for agreement in agreements:
            for start, end, ratio, billed_from, billed_to in agreement._fee_periods_until(until):
                if (agreement.id, start) not in done:
                    todo[(agreement.partner_id, agreement.company_id)].append(
                        (
                            agreement,
                            {
                                "date_start": start,
                                "date_end": end,
                                "ratio": ratio,
                                "billed_from": billed_from,
                                "billed_to": billed_to,
                            },
                        )
                    )
        if not todo:
            return self.env["account.move"]
        origin = self.env._("Support agreement fees")
        move_vals = []
        for (partner, company), items in todo.items():
            vals = partner._prepare_support_invoice_values(company, company.currency_id, origin)
            vals["invoice_line_ids"] = [
                fields.Command.create(agreement._prepare_support_invoice_line_values(period))
                for agreement, period in items
            ]
            move_vals.append(vals)
        return self.env["account.move"].sudo().create(move_vals)

    def _prepare_support_invoice_line_values(self, period):
        """Values of the invoice line of one fee month, with the fee period it creates.

        ``period``: ``date_start``/``date_end`` (the month), ``ratio`` (share of the month
        billed), ``billed_from``/``billed_to`` (the days billed).
        """
        self.ensure_one()
        price = float_round(self.monthly_fee * period["ratio"], precision_digits=2)
        return {
            "product_id": self.type_id.fee_product_id.id,
            "name": self.env._(
                "%(agreement)s: %(type)s, %(start)s - %(end)s",
                agreement=self.name,
                type=self.type_id.name,
                start=period["billed_from"],
                end=period["billed_to"],
            ),
            "quantity": 1.0,
            "price_unit": price,
            "support_fee_period_ids": [
                fields.Command.create(
                    {
                        "agreement_id": self.id,
                        "date_start": period["date_start"],
                        "date_end": period["date_end"],
                        "ratio": period["ratio"],
                        "amount": price,
                    }
                )
            ],
        }

    def action_invoice_monthly_fees(self):
        self.ensure_one()
        self.check_access("read")
        self.env["account.move"]._support_check_invoicing_rights()
        if not self.type_id.has_monthly_fee or self.state not in IN_FORCE_STATES:
            raise UserError(
                self.env._(
                    "Only active or closed agreements of a type with a monthly fee are invoiced "
                    "monthly fees."
                )
            )
        moves = self.with_company(self.company_id)._invoice_monthly_fees()
        if not moves:
            raise UserError(
                self.env._(
                    "Every month of %(agreement)s up to today is already invoiced.",
                    agreement=self.display_name,
                )
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", moves.ids)]
        return action

    def action_view_fee_periods(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.support_agreement_fee_period_action"
        )
        action["domain"] = [("agreement_id", "=", self.id)]
        return action

    @api.model
    def _cron_invoice_monthly_fees(self, until=None):
        agreements = self.sudo().search(
            [("state", "in", IN_FORCE_STATES), ("type_id.has_monthly_fee", "=", True)]
        )
        moves = self.env["account.move"]
        for company in agreements.company_id:
            if not self.env["account.journal"].search_count(
                [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
            ):
                _logger.warning("Support: no sales journal in %s, fees not invoiced", company.name)
                continue
            company_agreements = agreements.filtered(lambda a, c=company: a.company_id == c)
            moves |= company_agreements.with_company(company)._invoice_monthly_fees(until)
        _logger.info("Support: invoiced monthly fees on %d draft invoice(s)", len(moves))
        return moves
