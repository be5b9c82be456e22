from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_example_pack_order = fields.Selection(
        [("newest", "Newest First"), ("smallest", "Smallest First")],
        string="Pack Draw Order",
        help="Empty: the suite's order (oldest first).",
    )
