from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    support_patch_category_id = fields.Many2one(
        related="company_id.support_patch_category_id", readonly=False
    )
