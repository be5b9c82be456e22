from odoo import fields, models


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "support.protected.mixin"]  # noqa: RUF012

    support_ticket_id = fields.Many2one(
        "support.ticket",
        string="Support Ticket",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    support_timesheet_ids = fields.One2many(
        "account.analytic.line",
        "support_invoice_line_id",
        string="Billed Timesheets",
        readonly=True,
    )
    support_fee_credit_period_id = fields.Many2one(
        "support.agreement.fee.period",
        string="Credited Fee Month",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
        help="The fee month whose days no longer due this credit note line credits.",
    )
    support_fee_credit_ratio = fields.Float(
        string="Credited Share", digits=(16, 4), copy=False, readonly=True
    )
    support_released_ticket_id = fields.Many2one(
        "support.ticket",
        string="Released Ticket",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
        help="The ticket this line billed before its invoice was cancelled or credited.",
    )
    support_released_timesheet_ids = fields.Many2many(
        "account.analytic.line",
        "support_released_timesheet_rel",
        "move_line_id",
        "timesheet_id",
        string="Released Timesheets",
        copy=False,
        readonly=True,
        help="The timesheets this line billed before its invoice was cancelled or credited; "
        "they were released and may be billed again.",
    )
    support_fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "invoice_line_id", string="Fee Periods", readonly=True
    )
    support_pack_id = fields.Many2one(
        "support.hour.pack",
        string="Recognised Pack",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="restrict",
        help="The prepaid pack whose revenue this line of a pack revenue entry recognises.",
    )
    support_pack_sale_line_id = fields.Many2one(
        "account.move.line",
        string="Credited Pack Sale",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
        help="The pack sale line this credit note line credits.",
    )

    def _compute_account_id(self):
        """A pack product sold on a customer invoice goes to the company's deferred pack
        revenue account, when it has one (a credit note reversing it copies the account)."""
        res = super()._compute_account_id()
        for line in self:
            if (
                line.display_type == "product"
                and line.move_id.move_type == "out_invoice"
                and line.product_id.support_is_pack
            ):
                account = line.move_id.company_id.sudo().support_deferred_revenue_account_id
                if account:
                    line.account_id = account
        return res

    def _support_undo_fee_credits(self):
        """A fee credit that is deleted or cancelled before it counts gives the fee month its
        share back: the days are credited again when still not due."""
        credits = self.sudo().filtered("support_fee_credit_period_id")
        if not credits:
            return
        for line in credits:
            period = line.support_fee_credit_period_id
            period.credited_ratio = max(period.credited_ratio - line.support_fee_credit_ratio, 0.0)
        credits.write({"support_fee_credit_period_id": False, "support_fee_credit_ratio": 0.0})

    def _support_protected_fields(self):
        """The links between invoice lines and the support work they bill."""
        return super()._support_protected_fields() | {
            "support_ticket_id",
            "support_timesheet_ids",
            "support_fee_period_ids",
            "support_released_ticket_id",
            "support_released_timesheet_ids",
            "support_fee_credit_period_id",
            "support_fee_credit_ratio",
            "support_pack_id",
            "support_pack_sale_line_id",
        }

    def write(self, vals):
        res = super().write(vals)
        if "quantity" in vals:
            tickets = self.sudo().support_ticket_id
            if tickets:
                tickets._support_recompute_billing()
        return res

    def unlink(self):
        self._support_undo_fee_credits()
        lines = self.sudo()
        timesheets = lines.support_timesheet_ids
        tickets = lines.support_ticket_id | timesheets.support_ticket_id
        if timesheets:
            # Removing an invoice line frees the time it billed.
            timesheets.write({"support_invoice_line_id": False})
        res = super().unlink()
        if tickets:
            tickets.exists()._support_recompute_billing()
        return res
