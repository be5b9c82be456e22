from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    support_patch_category_id = fields.Many2one(
        "support.service.category",
        string="Monthly Patch Ticket Category",
        default=lambda self: self.env.ref(
            "support_contract.category_source_patch_install", raise_if_not_found=False
        ),
        help="Service category of the ticket created each month for every agreement whose type "
        "includes it (the monthly installation of Odoo source patches). Empty: no such tickets.",
    )

    @api.model
    def _support_set_default_patch_category(self):
        """Give the companies without a monthly patch ticket category the seeded one."""
        category = self.env.ref(
            "support_contract.category_source_patch_install", raise_if_not_found=False
        )
        companies = (
            self.sudo()
            .with_context(active_test=False)
            .search([("support_patch_category_id", "=", False)])
        )
        if category and companies:
            companies.support_patch_category_id = category
        return True
