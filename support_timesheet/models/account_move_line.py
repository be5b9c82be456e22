from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

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
    support_fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "invoice_line_id", string="Fee Periods", readonly=True
    )
