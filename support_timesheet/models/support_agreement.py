import calendar
import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, float_round

_logger = logging.getLogger(__name__)

FEE_TYPE_CODES = ("patch", "maintenance")


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "agreement_id", string="Invoiced Fee Periods", readonly=True
    )
    fee_period_count = fields.Integer(compute="_compute_fee_period_count")
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
    def _fee_product(self):
        self.ensure_one()
        if self.type_id.fee_product_id:
            return self.type_id.fee_product_id
        if self.type_code == "maintenance":
            return self.env.ref("support_timesheet.product_maintenance_fee")
        return self.env.ref("support_timesheet.product_patch_fee")

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
        and is written in the same transaction as the invoice line.
        """
        until = until or fields.Date.context_today(self)
        agreements = self.filtered(
            lambda a: a.state in ("active", "closed")
            and a.type_code in FEE_TYPE_CODES
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
                        (agreement, start, end, ratio, billed_from, billed_to)
                    )
        if not todo:
            return self.env["account.move"]
        move_vals = []
        periods = []
        periods_by_move = []
        for (partner, company), items in todo.items():
            lines = []
            for agreement, start, end, ratio, billed_from, billed_to in items:
                product = agreement._fee_product()
                price = float_round(agreement.monthly_fee * ratio, precision_digits=2)
                lines.append(
                    fields.Command.create(
                        {
                            "product_id": product.id,
                            "name": self.env._(
                                "%(agreement)s: %(type)s, %(start)s - %(end)s",
                                agreement=agreement.name,
                                type=agreement.type_id.name,
                                start=billed_from,
                                end=billed_to,
                            ),
                            "quantity": 1.0,
                            "price_unit": price,
                        }
                    )
                )
                periods.append((agreement, start, end, ratio, price))
            periods_by_move.append(periods)
            periods = []
            move_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "invoice_origin": self.env._("Support agreement fees"),
                    "invoice_line_ids": lines,
                }
            )
        moves = self.env["account.move"].sudo().create(move_vals)
        period_vals = []
        for move, move_periods in zip(moves, periods_by_move, strict=True):
            for (agreement, start, end, ratio, price), line in zip(
                move_periods, move.invoice_line_ids.sorted("id"), strict=True
            ):
                period_vals.append(
                    {
                        "agreement_id": agreement.id,
                        "date_start": start,
                        "date_end": end,
                        "ratio": ratio,
                        "amount": price,
                        "invoice_line_id": line.id,
                    }
                )
        self.env["support.agreement.fee.period"].sudo().create(period_vals)
        return moves

    def action_invoice_monthly_fees(self):
        self.ensure_one()
        if self.type_code not in FEE_TYPE_CODES or self.state not in ("active", "closed"):
            raise UserError(
                self.env._(
                    "Only active or closed patch and maintenance agreements have monthly fees."
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
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.support_agreement_fee_period_action"
        )
        action["domain"] = [("agreement_id", "=", self.id)]
        return action

    @api.model
    def cron_invoice_monthly_fees(self):
        return self._cron_invoice_monthly_fees()

    @api.model
    def _cron_invoice_monthly_fees(self, until=None):
        agreements = self.sudo().search(
            [("state", "in", ("active", "closed")), ("type_code", "in", list(FEE_TYPE_CODES))]
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
