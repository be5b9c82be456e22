from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    support_default_type_id = fields.Many2one(
        related="company_id.support_default_type_id", readonly=False
    )
    support_deferred_revenue_account_id = fields.Many2one(
        related="company_id.support_deferred_revenue_account_id", readonly=False
    )
