import calendar
import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import float_compare, float_is_zero, float_round

from odoo.addons.support_contract.models.support_agreement import IN_FORCE_STATES

from .support_billing_mixin import lock_rows

_logger = logging.getLogger(__name__)


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "agreement_id", string="Invoiced Fee Periods", readonly=True
    )
    fee_period_count = fields.Integer(compute="_compute_fee_period_count")
    has_monthly_fee = fields.Boolean(related="type_id.has_monthly_fee")
    bills_monthly_fees = fields.Boolean(
        string="Bills Monthly Fees",
        compute="_compute_bills_monthly_fees",
        search="_search_bills_monthly_fees",
        help="Of a type with a monthly fee and activated (active, or closed after having been "
        "in force): its months are invoiced.",
    )
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

    @api.model
    def _get_fee_billing_domain(self):
        """The agreements whose monthly fees are invoiced: the one definition, used by the fee
        run, the agreement's buttons and the views (through ``bills_monthly_fees``)."""
        return Domain("state", "in", IN_FORCE_STATES) & Domain("type_id.has_monthly_fee", "=", True)

    @api.depends("state", "type_id.has_monthly_fee")
    def _compute_bills_monthly_fees(self):
        billing = self.filtered_domain(self._get_fee_billing_domain())
        for agreement in self:
            agreement.bills_monthly_fees = agreement in billing

    def _search_bills_monthly_fees(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._get_fee_billing_domain()
        if True in value:
            return Domain.TRUE if False in value else domain
        return ~domain

    def _compute_fee_period_count(self):
        groups = self.env["support.agreement.fee.period"]._read_group(
            [("agreement_id", "in", self.ids)], ["agreement_id"], ["__count"]
        )
        data = {agreement.id: count for agreement, count in groups}
        for agreement in self:
            agreement.fee_period_count = data.get(agreement.id, 0)

    # ------------------------------------------------------------------ monthly fees
    def _fee_periods_until(self, until, gaps=None, from_start=False, fee_line=None):
        """Months of the agreement up to `until`, prorated by day; the days its prerequisite
        (the patch agreement of a maintenance agreement) was not met are not due.

        ``fee_line``: the months of that fee line, within its own dates (a line added or retired
        mid-month is prorated like an agreement that starts or ends).
        ``gaps``: ``_prerequisite_gaps()`` of the agreements, when already read. Returns dicts
        ``date_start``/``date_end`` (the month), ``ratio`` (share of the month due),
        ``billed_from``/``billed_to`` (the days of the agreement in the month) and
        ``lapsed_days``.
        """
        self.ensure_one()
        if gaps is None:
            gaps = self._prerequisite_gaps()
        unmet = gaps.get(self.id, [])
        periods = []
        first = self.date_start
        if not from_start:
            first = max(first, self.fee_date_from or first)
        stop = self.date_end
        if fee_line and fee_line.date_start:
            first = max(first, fee_line.date_start)
        if fee_line and fee_line.date_end:
            stop = min(stop, fee_line.date_end) if stop else fee_line.date_end
        month = first.replace(day=1)
        last = min(until, stop) if stop else until
        while month <= last:
            days = calendar.monthrange(month.year, month.month)[1]
            month_end = month + relativedelta(day=days)
            start = max(month, first)
            end = min(month_end, stop) if stop else month_end
            if start <= end:
                lapsed = sum(
                    max((min(end, gap_end or end) - max(start, gap_start)).days + 1, 0)
                    for gap_start, gap_end in unmet
                )
                periods.append(
                    {
                        "date_start": month,
                        "date_end": month_end,
                        "ratio": ((end - start).days + 1 - lapsed) / days,
                        "billed_from": start,
                        "billed_to": end,
                        "lapsed_days": lapsed,
                    }
                )
            month += relativedelta(months=1)
        return periods

    def _support_fee_lines(self):
        """The fee lines of ``self`` the fee run invoices: those with an amount (a line retired
        last month still bills its last days)."""
        lines = self.sudo().fee_line_ids
        return lines.filtered(
            lambda line: not float_is_zero(line.subtotal, precision_digits=2)
        ).with_env(self.env)

    def _support_fee_billing(self):
        """The agreements of ``self`` whose monthly fees the fee run invoices: billing fees
        (``_get_fee_billing_domain``) with a fee line with an amount."""
        return self.filtered_domain(self._get_fee_billing_domain()).filtered(
            lambda a: a._support_fee_lines()
        )

    @api.model
    def _support_fee_line_price(self, fee_line, period):
        """The amount a fee line bills for a month: its monthly amount times the share due,
        rounded to cents (0.00: no invoice line)."""
        return float_round(fee_line.subtotal * period["ratio"], precision_digits=2)

    def _support_fee_line_periods(self, until, gaps=None):
        """Each month of each fee line the fee run looks at, up to ``until``: tuples
        (agreement, fee line, period, price) for the billing agreements of ``self`` and their
        fee lines with an amount, the months of ``_fee_periods_until`` (within the line's own
        dates) and what the month bills (``_support_fee_line_price``). The one walk of the fee
        run (``_invoice_monthly_fees``), the months due and the statement."""
        agreements = self._support_fee_billing()
        if gaps is None:
            gaps = agreements._prerequisite_gaps()
        for agreement in agreements:
            for fee_line in agreement._support_fee_lines():
                for period in agreement._fee_periods_until(until, gaps, fee_line=fee_line):
                    price = self._support_fee_line_price(fee_line, period)
                    yield agreement, fee_line, period, price

    @api.model
    def _support_fee_period_bills(self, period, price):
        """Whether the fee run invoices this month of a fee line: at least one day due and an
        amount that does not round to 0.00."""
        return not float_is_zero(period["ratio"], precision_digits=4) and not float_is_zero(
            price, precision_digits=2
        )

    @api.model
    def _support_fee_months_done(self, periods):
        """The test of the months the fee run does not invoice (again), given the agreements'
        fee ``periods`` (any state): ``done(agreement, fee_line, month)`` is true when the fee
        line has a period that month, or the whole agreement has one (a month invoiced before
        fee lines)."""
        lines = {(p.agreement_id.id, p.fee_line_id.id, p.date_start) for p in periods}
        whole = {(p.agreement_id.id, p.date_start) for p in periods if not p.fee_line_id}

        def done(agreement, fee_line, month):
            return (agreement.id, fee_line.id, month) in lines or (agreement.id, month) in whole

        return done

    def _support_fee_line_months_due(self, date_from, date_to):
        """{fee line: [the months of [date_from, date_to] the fee run invoices for it, each a
        ``_fee_periods_until`` dict with its ``amount``]}, whether invoiced yet or not."""
        due = defaultdict(list)
        for _agreement, fee_line, period, price in self._support_fee_line_periods(date_to):
            if period["date_end"] >= date_from and self._support_fee_period_bills(period, price):
                due[fee_line].append(dict(period, amount=price))
        return dict(due)

    def _support_fee_months_due(self, date_from, date_to):
        """{agreement id: [first day of each month of [date_from, date_to] whose fee the fee
        run invoices]}: as ``_invoice_monthly_fees`` decides (fee billing, from the date fees
        are invoiced from, a fee line with at least one day due and an amount)."""
        due = {agreement.id: set() for agreement in self._support_fee_billing()}
        for fee_line, periods in self._support_fee_line_months_due(date_from, date_to).items():
            due[fee_line.agreement_id.id].update(period["date_start"] for period in periods)
        return {agreement_id: sorted(months) for agreement_id, months in due.items()}

    def _invoice_monthly_fees(self, until=None, reinvoice_cancelled=False):
        """Draft invoices (one per customer and company) for fee months not invoiced yet: one
        invoice line per fee line and month.

        A month of a fee line is invoiced at most once: the fee period row is unique per
        agreement, fee line and month and is created with its invoice line
        (``_prepare_support_invoice_line_values``), in the same transaction. Months waived, or
        whose invoice was cancelled or credited on purpose, keep their row and are not invoiced
        again, unless ``reinvoice_cancelled`` (the button on the agreement) for the cancelled
        ones. A month without any due day (the prerequisite lapsed) gets a row without invoice
        line, and the account manager an activity. A month whose prorated amount rounds to 0.00
        gets neither.
        """
        until = until or fields.Date.context_today(self)
        agreements = self._support_fee_billing()
        if not agreements:
            return self.env["account.move"]
        lock_rows(agreements)
        Period = self.env["support.agreement.fee.period"].sudo()
        existing = Period.search([("agreement_id", "in", agreements.ids)])
        if reinvoice_cancelled:
            cancelled = existing.filtered(lambda p: p.state == "cancelled")
            existing -= cancelled
            cancelled.unlink()
        done = self._support_fee_months_done(existing)
        todo = defaultdict(list)
        lapsed_vals = []
        notified = set()
        for agreement, fee_line, period, price in agreements._support_fee_line_periods(until):
            month = period["date_start"]
            if done(agreement, fee_line, month):
                continue
            if period["lapsed_days"] and (agreement.id, month) not in notified:
                notified.add((agreement.id, month))
                agreement._support_notify_lapsed_fee(period)
            if float_is_zero(period["ratio"], precision_digits=4):
                lapsed_vals.append(
                    {
                        "agreement_id": agreement.id,
                        "fee_line_id": fee_line.id,
                        "state": "lapsed",
                        "amount": 0.0,
                        **{k: v for k, v in period.items()},
                    }
                )
                continue
            if not self._support_fee_period_bills(period, price):
                continue
            todo[(agreement.partner_id, agreement.company_id)].append((agreement, fee_line, period))
        if lapsed_vals:
            Period.create(lapsed_vals)
        # The customer's document: its lines in the customer's language, whoever runs this.
        return self._support_create_fee_moves(
            {
                (partner, company): [
                    agreement.with_context(lang=partner.lang)._prepare_support_invoice_line_values(
                        period, fee_line
                    )
                    for agreement, fee_line, period in items
                ]
                for (partner, company), items in todo.items()
            }
        )

    def _support_create_fee_moves(self, lines_by_customer, move_type="out_invoice"):
        """One fee invoice (or credit note) per customer and company, from the customer's
        ``_prepare_support_invoice_values`` hook and the given line values
        (``{(partner, company): [line vals]}``)."""
        if not lines_by_customer:
            return self.env["account.move"]
        move_vals = []
        for (partner, company), lines in lines_by_customer.items():
            # The customer's document: its texts in the customer's language, whoever runs this.
            origin = self.with_context(lang=partner.lang).env._("Support agreement fees")
            vals = partner._prepare_support_invoice_values(
                company,
                company.currency_id,
                origin,
                agreements=self.filtered(
                    lambda a, p=partner, c=company: a.partner_id == p and a.company_id == c
                ),
            )
            vals["move_type"] = move_type
            vals["invoice_line_ids"] = [fields.Command.create(line) for line in lines]
            move_vals.append(vals)
        return self.env["account.move"].sudo().create(move_vals)

    def _support_notify_lapsed_fee(self, period):
        """The account manager learns that days of the fee are not billed: the prerequisite
        lapsed."""
        self.ensure_one()
        manager = self.user_id or self.env.user
        agreement = self.with_context(lang=manager.lang)  # in the reader's language
        summary = agreement.env._(
            "%(agreement)s: %(days)s day(s) of %(month)s not invoiced, the required "
            "%(prerequisite)s was not in force",
            agreement=self.name,
            days=period["lapsed_days"],
            month=period["date_start"].strftime("%Y-%m"),
            prerequisite=agreement.type_id.prerequisite_type_id.name,
        )
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, user_id=manager.id
        )

    def _prepare_support_invoice_line_values(self, period, fee_line):
        """Values of the invoice line of one fee line's month, with the fee period it creates.

        ``period``: ``date_start``/``date_end`` (the month), ``ratio`` (share of the month
        billed), ``billed_from``/``billed_to`` (the days billed).
        """
        self.ensure_one()
        price = self._support_fee_line_price(fee_line, period)
        return {
            "product_id": (fee_line.product_id or self.type_id.fee_product_id).id,
            "name": self._support_fee_label(fee_line, period["billed_from"], period["billed_to"]),
            "quantity": 1.0,
            "price_unit": price,
            "analytic_distribution": self._support_analytic_distribution(),
            "support_fee_period_ids": [
                fields.Command.create(
                    {
                        "agreement_id": self.id,
                        "fee_line_id": fee_line.id,
                        "date_start": period["date_start"],
                        "date_end": period["date_end"],
                        "ratio": period["ratio"],
                        "billed_from": period["billed_from"],
                        "billed_to": period["billed_to"],
                        "lapsed_days": period.get("lapsed_days", 0),
                        "amount": price,
                    }
                )
            ],
        }

    def _support_fee_label(self, fee_line, date_from, date_to):
        """The invoice line's label of a fee line's days: the agreement, its type, what the
        line is for (environment, description) and the days."""
        self.ensure_one()
        label = fee_line._support_label() if fee_line else ""
        if label:
            return self.env._(
                "%(agreement)s: %(type)s, %(line)s, %(start)s - %(end)s",
                agreement=self.name,
                type=self.type_id.name,
                line=label,
                start=date_from,
                end=date_to,
            )
        return self.env._(
            "%(agreement)s: %(type)s, %(start)s - %(end)s",
            agreement=self.name,
            type=self.type_id.name,
            start=date_from,
            end=date_to,
        )

    @api.model
    def _support_migrate_fee_lines(self, agreements=None):
        """Also the months invoiced before fee lines: they become the months of the agreement's
        one fee line (an agreement with several lines keeps them for the whole agreement)."""
        todo = super()._support_migrate_fee_lines(agreements)
        if agreements is None:
            agreements = self.with_context(active_test=False).sudo().search([])
        periods = (
            self.env["support.agreement.fee.period"]
            .sudo()
            .search([("agreement_id", "in", agreements.ids), ("fee_line_id", "=", False)])
        )
        for agreement, mine in periods.grouped("agreement_id").items():
            if len(agreement.fee_line_ids) == 1:
                mine.write({"fee_line_id": agreement.fee_line_ids.id})
        return todo

    def _support_analytic_distribution(self):
        """The analytic distribution of the agreement's fee lines: its company's Support
        project (when there is one), where the covered work's cost is booked."""
        self.ensure_one()
        account = self.company_id.sudo().support_project_id.account_id
        return {str(account.id): 100.0} if account else False

    # ------------------------------------------------------------------ fee credits and waivers
    def write(self, vals):
        res = super().write(vals)
        if {"date_end", "state", "date_start"} & set(vals):
            # An agreement ended early, cancelled, or a prerequisite that lapsed: the fee days
            # invoiced and no longer due are credited.
            dependents = (
                self.env["support.agreement"]
                .sudo()
                .search(
                    [
                        ("partner_id", "in", self.partner_id.ids),
                        ("type_id.prerequisite_type_id", "in", self.type_id.ids),
                        ("fee_period_ids", "!=", False),
                    ]
                )
            )
            (self | dependents).sudo()._support_credit_undue_fees()
        return res

    def _support_due_ratios(self, periods):
        """{period: share of its month due today}: the agreement's days in the month while it
        ran (up to its end or cancellation) and its prerequisite was in force; 0 when waived."""
        prerequisites = self._prerequisite_gaps()
        due = {}
        for agreement in self:
            mine = periods.filtered(lambda p, a=agreement: p.agreement_id == a)
            if not mine:
                continue
            until = max(mine.mapped("date_end"))
            running = agreement.state in ("active", "closed", "cancelled")
            months = {}
            fee_lines = list(mine.fee_line_id)
            if not all(mine.mapped("fee_line_id")):
                fee_lines.append(self.env["support.agreement.fee.line"])  # before fee lines
            for fee_line in fee_lines:
                if running:
                    months[fee_line] = {
                        p["date_start"]: p["ratio"]
                        for p in agreement._fee_periods_until(
                            until, prerequisites, from_start=True, fee_line=fee_line or None
                        )
                    }
            for period in mine:
                by_month = months.get(period.fee_line_id, {})
                due[period] = (
                    0.0 if period.state == "waived" else by_month.get(period.date_start, 0.0)
                )
        return due

    def _support_credit_undue_fees(self):
        """Credit the invoiced fee days that are no longer due (the agreement closed or was
        cancelled before the end of an invoiced month, the prerequisite lapsed, the month was
        waived): one draft credit note per customer, each month credited once."""
        periods = (
            self.env["support.agreement.fee.period"]
            .sudo()
            .search(
                [
                    ("agreement_id", "in", self.ids),
                    ("state", "in", ("invoiced", "waived")),
                    ("invoice_line_id", "!=", False),
                    ("invoice_line_id.parent_state", "!=", "cancel"),
                ]
            )
        )
        if not periods:
            return self.env["account.move"]
        due = self.sudo()._support_due_ratios(periods)
        todo = defaultdict(list)
        for period in periods:
            undue = period.ratio - period.credited_ratio - due.get(period, 0.0)
            if float_compare(undue, 0, precision_digits=4) <= 0:
                continue
            amount = float_round(period.amount * undue / period.ratio, precision_digits=2)
            agreement = period.agreement_id
            if period.invoice_line_id.parent_state == "draft":
                # Not sent yet: the draft line is corrected instead of credited.
                left = float_round(period.amount - amount, precision_digits=2)
                line = period.invoice_line_id
                line.move_id.write(
                    {"invoice_line_ids": [fields.Command.update(line.id, {"price_unit": left})]}
                )
                period.write({"ratio": period.ratio - undue, "amount": left})
                agreement._support_notify_credit(period, undue, draft=True)
                continue
            todo[(agreement.partner_id, agreement.company_id)].append((period, undue, amount))
        credits = self._support_create_fee_moves(
            {
                (partner, company): [
                    period.agreement_id.with_context(
                        lang=partner.lang
                    )._prepare_support_credit_line_values(period, undue, amount)
                    for period, undue, amount in items
                ]
                for (partner, company), items in todo.items()
            },
            move_type="out_refund",
        )
        for items in todo.values():
            for period, undue, _amount in items:
                period.credited_ratio += undue
                period.agreement_id._support_notify_credit(period, undue)
        return credits

    def _prepare_support_credit_line_values(self, period, undue, amount):
        """Values of the credit note line of the ``undue`` share (``amount``) of a fee month."""
        self.ensure_one()
        label = period.fee_line_id._support_label() if period.fee_line_id else ""
        return {
            "product_id": (period.fee_line_id.product_id or self.type_id.fee_product_id).id,
            "name": self.env._(
                "%(agreement)s, %(line)s: credit of %(share)s%% of %(month)s, no longer due",
                agreement=self.name,
                line=label,
                share=round(undue * 100, 1),
                month=period.date_start.strftime("%Y-%m"),
            )
            if label
            else self.env._(
                "%(agreement)s: credit of %(share)s%% of %(month)s, no longer due",
                agreement=self.name,
                share=round(undue * 100, 1),
                month=period.date_start.strftime("%Y-%m"),
            ),
            "quantity": 1.0,
            "price_unit": amount,
            "analytic_distribution": self._support_analytic_distribution(),
            "support_fee_credit_period_id": period.id,
            "support_fee_credit_ratio": undue,
        }

    def _support_notify_credit(self, period, undue, draft=False):
        """The account manager gets an activity for fee days no longer due."""
        self.ensure_one()
        manager = self.user_id or self.env.user
        env = self.with_context(lang=manager.lang).env  # in the reader's language
        params = {
            "agreement": self.name,
            "share": round(undue * 100, 1),
            "month": period.date_start.strftime("%Y-%m"),
        }
        summary = (
            env._(
                "%(agreement)s: %(share)s%% of the fee of %(month)s is no longer due; the draft "
                "invoice line was reduced",
                **params,
            )
            if draft
            else env._(
                "%(agreement)s: %(share)s%% of the fee of %(month)s is no longer due; post the "
                "draft credit note",
                **params,
            )
        )
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo", summary=summary, user_id=manager.id
        )

    def action_waive_fee_month(self, month=None, reason=None, fee_line_id=None):
        """A Support Manager waives the fee of a month, with a reason: every fee line's (or the
        one ``fee_line_id``'s) month is not invoiced (credited when already invoiced), and the
        daily job does not invoice it again."""
        self.ensure_one()
        self.check_access("read")
        if not (self.env.su or self.env.user.has_group("support_contract.group_support_manager")):
            raise AccessError(self.env._("Only a Support Manager can waive a monthly fee."))
        month = fields.Date.to_date(month)
        if not month or not (reason or "").strip():
            raise UserError(self.env._("Choose the month to waive and write the reason."))
        month = month.replace(day=1)
        month_end = month + relativedelta(day=calendar.monthrange(month.year, month.month)[1])
        if not self.type_id.has_monthly_fee:
            raise UserError(
                self.env._("%(agreement)s has no monthly fee.", agreement=self.display_name)
            )
        agreement = self.sudo()
        fee_lines = agreement.fee_line_ids.filtered_domain(
            self.env["support.agreement.fee.line"]._get_in_force_domain(month, month_end)
        )
        if fee_line_id:
            fee_lines = agreement.fee_line_ids.filtered(lambda line: line.id == int(fee_line_id))
            if not fee_lines:
                raise UserError(
                    self.env._(
                        "Choose a fee line of %(agreement)s to waive.",
                        agreement=self.display_name,
                    )
                )
        periods = agreement.fee_period_ids.filtered(
            lambda p: p.date_start == month
            and (p.fee_line_id in fee_lines if p.fee_line_id else not fee_line_id)
        )
        missing = fee_lines - periods.fee_line_id
        # No fee line that month (or months from before fee lines): the agreement's month.
        whole = not fee_lines and not fee_line_id and not periods
        if not missing and not whole and all(p.state == "waived" for p in periods):
            raise UserError(self.env._("This month is already waived."))
        vals = {"state": "waived", "waive_reason": reason.strip()}
        periods = periods.filtered(lambda p: p.state != "waived")
        drafts = periods.filtered(lambda p: p.invoice_line_id.parent_state == "draft")
        # Not sent yet: the draft lines go (and their period rows with them).
        missing |= drafts.fee_line_id
        whole = whole or any(not p.fee_line_id for p in drafts)
        for move, move_periods in drafts.grouped(lambda p: p.invoice_line_id.move_id).items():
            move.write(
                {
                    "invoice_line_ids": [
                        fields.Command.delete(line.id) for line in move_periods.invoice_line_id
                    ]
                }
            )
        periods = periods.exists()
        periods.write(vals)
        empty = dict(vals, agreement_id=self.id, date_start=month, date_end=month_end)
        new_vals = [
            dict(empty, fee_line_id=fee_line.id, ratio=0.0, amount=0.0) for fee_line in missing
        ]
        if whole:
            new_vals.append(dict(empty, ratio=0.0, amount=0.0))
        self.env["support.agreement.fee.period"].sudo().create(new_vals)
        agreement._support_credit_undue_fees()
        agreement.message_post(
            body=self.env._(
                "%(user)s waived the fee of %(month)s: %(reason)s",
                user=self.env.user.display_name,
                month=month.strftime("%Y-%m"),
                reason=reason.strip(),
            )
        )
        return True

    def action_invoice_monthly_fees(self):
        self.ensure_one()
        self.check_access("read")
        self.env["account.move"]._support_check_invoicing_rights()
        if not self.bills_monthly_fees:
            raise UserError(
                self.env._(
                    "Only active or closed agreements of a type with a monthly fee are invoiced "
                    "monthly fees."
                )
            )
        moves = self.with_company(self.company_id)._invoice_monthly_fees(reinvoice_cancelled=True)
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
        agreements = self.sudo().search(self._get_fee_billing_domain())
        moves = self.env["account.move"]
        for company in agreements.company_id:
            if not self.env["account.journal"].search_count(
                [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
            ):
                _logger.warning("Support: no sales journal in %s, fees not invoiced", company.name)
                continue
            company_agreements = agreements.filtered(lambda a, c=company: a.company_id == c)
            moves |= company_agreements.with_company(company)._invoice_monthly_fees(until)
            company_agreements.with_company(company)._support_credit_undue_fees()
        _logger.info("Support: invoiced monthly fees on %d draft invoice(s)", len(moves))
        return moves
