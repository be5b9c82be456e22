from odoo import fields, models


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
