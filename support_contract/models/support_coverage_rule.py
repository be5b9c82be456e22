from odoo import api, fields, models


class SupportCoverageRule(models.Model):
    """One cell of the coverage matrix: service category x agreement type."""

    _name = "support.coverage.rule"
    _description = "Support Coverage Rule"
    _order = "category_id, type_id"

    category_id = fields.Many2one(
        "support.service.category", required=True, ondelete="cascade", index=True
    )
    type_id = fields.Many2one("support.agreement.type", required=True, ondelete="cascade")
    mode = fields.Selection(
        [
            ("included", "Included"),
            ("key_user", "Included for Key Users"),
            ("billable", "Billable"),
            ("separate", "Always Charged Separately"),
        ],
        required=True,
        default="billable",
    )

    _category_type_unique = models.Constraint(
        "UNIQUE(category_id, type_id)",
        "A service category has one coverage rule per agreement type.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._redecide_tickets(rules.category_id)
        return rules

    def write(self, vals):
        categories = self.category_id
        res = super().write(vals)
        self._redecide_tickets(categories | self.category_id)
        return res

    def unlink(self):
        categories = self.category_id
        res = super().unlink()
        self.env["support.coverage.rule"]._redecide_tickets(categories)
        return res

    def _redecide_tickets(self, categories):
        if categories:
            self.env["support.ticket"]._redecide_coverage_for(category_ids=set(categories.ids))
