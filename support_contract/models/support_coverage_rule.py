from odoo import api, fields, models

# What a coverage rule says of a category under an agreement type, in the portal's order.
COVERAGE_MODES = [
    ("included", "Included"),
    ("key_user", "Included for Key Users"),
    ("billable", "Billable"),
    ("separate", "Always Charged Separately"),
]
# The modes that cover a request (for Key Users only, with key_user).
INCLUDED_MODES = ("included", "key_user")


class SupportCoverageRule(models.Model):
    """One cell of the coverage matrix: service category x agreement type."""

    _name = "support.coverage.rule"
    _description = "Support Coverage Rule"
    _order = "category_id, type_id"

    category_id = fields.Many2one(
        "support.service.category", required=True, ondelete="cascade", index=True
    )
    type_id = fields.Many2one("support.agreement.type", required=True, ondelete="cascade")
    mode = fields.Selection(COVERAGE_MODES, required=True, default="billable")
    is_included = fields.Boolean(
        string="Included",
        compute="_compute_is_included",
        store=True,
        help="Included for everyone or for Key Users.",
    )

    _category_type_unique = models.Constraint(
        "UNIQUE(category_id, type_id)",
        "A service category has one coverage rule per agreement type.",
    )

    @api.depends("mode")
    def _compute_is_included(self):
        for rule in self:
            rule.is_included = rule.mode in INCLUDED_MODES

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
