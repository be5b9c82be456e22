from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    support_patch_category_id = fields.Many2one(
        related="company_id.support_patch_category_id", readonly=False
    )
    support_infra_patch_category_id = fields.Many2one(
        related="company_id.support_infra_patch_category_id", readonly=False
    )

    support_alias_name = fields.Char(
        string="Support Alias",
        compute="_compute_support_alias_name",
        inverse="_inverse_support_alias_name",
        readonly=False,
    )
    support_alias_domain = fields.Char(related="company_id.alias_domain_id.name")
    support_reopen_days = fields.Integer(related="company_id.support_reopen_days", readonly=False)
    support_queue_user_id = fields.Many2one(
        related="company_id.support_queue_user_id", readonly=False
    )

    @api.depends("company_id")
    def _compute_support_alias_name(self):
        for settings in self:
            settings.support_alias_name = settings.company_id.sudo().support_alias_id.alias_name

    def _inverse_support_alias_name(self):
        for settings in self:
            settings.company_id._support_set_alias_name(settings.support_alias_name)
