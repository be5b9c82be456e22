from odoo import fields, models


class SupportServiceCategory(models.Model):
    _name = "support.service.category"
    _description = "Support Service Category"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    rule_ids = fields.One2many("support.coverage.rule", "category_id", string="Coverage Rules")

    _code_unique = models.Constraint(
        "UNIQUE(code)", "A service category with this code already exists."
    )
