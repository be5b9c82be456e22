from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
    support_infra_patch_category_id = fields.Many2one(
        "support.service.category",
        string="Monthly Infrastructure Patch Category",
        default=lambda self: self.env.ref(
            "support_contract.category_tech_env", raise_if_not_found=False
        ),
        help="Service category of the ticket created each month for every customer environment "
        "covered by an agreement that patches the infrastructure. Empty: no such tickets.",
    )

    support_alias_id = fields.Many2one(
        "mail.alias",
        string="Support Alias",
        copy=False,
        ondelete="set null",
        help="E-mails to this address create support tickets of the company.",
    )
    support_reopen_days = fields.Integer(
        string="Reopen Window (days)",
        default=14,
        help="A reply (by e-mail or in the portal) within this many days of a request's "
        "resolution reopens it; a later reply starts a new request that refers to it.",
    )
    support_queue_user_id = fields.Many2one(
        "res.users",
        string="Support Queue Manager",
        domain="[('share', '=', False)]",
        help="Gets the review activity of new requests that no consultant is assigned to.",
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
        infra = self.env.ref("support_contract.category_tech_env", raise_if_not_found=False)
        companies = (
            self.sudo()
            .with_context(active_test=False)
            .search([("support_infra_patch_category_id", "=", False)])
        )
        if infra and companies:
            companies.support_infra_patch_category_id = infra
        return True

    @api.constrains("support_reopen_days")
    def _check_support_reopen_days(self):
        for company in self:
            if company.support_reopen_days < 0:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the reopen window cannot be negative.",
                        company=company.name,
                    )
                )

    def _support_alias_values(self):
        self.ensure_one()
        return {
            "alias_model_id": self.env["ir.model"]._get_id("support.ticket"),
            "alias_contact": "everyone",
            "alias_defaults": repr({"company_id": self.id}),
            "alias_domain_id": self.alias_domain_id.id,
        }

    def _support_set_alias_name(self, name):
        """Create, rename or remove the company's support alias."""
        self.ensure_one()
        alias = self.sudo().support_alias_id
        if not name:
            if alias:
                self.sudo().support_alias_id = False
                alias.unlink()
            return
        if alias:
            alias.alias_name = name
        else:
            alias = (
                self.env["mail.alias"]
                .sudo()
                .create(dict(self._support_alias_values(), alias_name=name))
            )
            self.sudo().support_alias_id = alias
