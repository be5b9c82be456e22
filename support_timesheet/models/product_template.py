from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    support_is_pack = fields.Boolean(
        string="Prepaid Support Pack",
        help="Posting a customer invoice of this product creates one prepaid support hour pack "
        "per unit for the customer.",
    )
    support_pack_hours = fields.Float(
        string="Pack Hours", help="Hours of support granted by one unit of this pack product."
    )
    support_pack_validity_months = fields.Integer(string="Pack Validity (months)", default=12)

    @api.constrains("support_is_pack", "support_pack_hours", "support_pack_validity_months")
    def _check_support_pack_hours(self):
        for product in self:
            if product.support_is_pack and product.support_pack_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "The support pack product %(name)s must grant a positive number of hours.",
                        name=product.display_name,
                    )
                )
            if product.support_is_pack and product.support_pack_validity_months <= 0:
                raise ValidationError(
                    self.env._(
                        "The support pack product %(name)s must be valid for at least one month.",
                        name=product.display_name,
                    )
                )
