from odoo import fields, models


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
