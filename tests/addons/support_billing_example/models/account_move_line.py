from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    support_example_priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        string="Request Priority",
        readonly=True,
        copy=False,
        help="The priority of the request the line invoices, when it was invoiced.",
    )
