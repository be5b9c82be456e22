from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    support_project_id = fields.Many2one(
        "project.project",
        string="Support Project",
        help="Project receiving the time logged on support tickets of this company.",
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
