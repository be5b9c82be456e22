from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    support_project_id = fields.Many2one(
        "project.project",
        string="Support Project",
        help="Project receiving the time logged on support tickets of this company.",
    )
    support_default_type_id = fields.Many2one(
        "support.agreement.type",
        string="Default Billing Type",
        default=lambda self: self.env.ref(
            "support_contract.agreement_type_on_demand", raise_if_not_found=False
        ),
        help="Agreement type whose minimum per request, rounding and hourly rate bill the "
        "requests no agreement covers.",
    )
    support_deferred_revenue_account_id = fields.Many2one(
        "account.account",
        string="Deferred Pack Revenue Account",
        domain="[('account_type', '=', 'liability_current')]",
        help="Prepaid support packs sold are booked here (a current liability, e.g. BAS 2970 "
        "Förutbetalda intäkter) and moved to the pack product's income account as their hours "
        "are drawn or expire (Recognise Pack Revenue). Empty: packs are income when sold.",
    )

    @api.constrains("support_deferred_revenue_account_id")
    def _check_support_deferred_revenue_account(self):
        for company in self:
            account = company.support_deferred_revenue_account_id
            if account and (
                account.account_type != "liability_current"
                or not account.sudo().company_ids & company.parent_ids
            ):
                raise ValidationError(
                    self.env._(
                        "The deferred pack revenue account %(account)s must be a current "
                        "liability account of %(company)s.",
                        account=account.display_name,
                        company=company.name,
                    )
                )

    def _support_get_default_project(self):
        """The company's Support project, created on demand (timesheets allowed)."""
        self.ensure_one()
        company = self.sudo()
        if not company.support_project_id:
            company.support_project_id = (
                self.env["project.project"]
                .sudo()
                .create(
                    {
                        "name": self.env._("Support"),
                        "company_id": company.id,
                        "allow_timesheets": True,
                    }
                )
            )
        return company.support_project_id
