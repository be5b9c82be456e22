from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SupportAgreementType(models.Model):
    _inherit = "support.agreement.type"

    has_monthly_fee = fields.Boolean(
        string="Monthly Fee",
        help="Agreements of this type are invoiced their monthly fee, once per month.",
    )
    fee_product_id = fields.Many2one(
        "product.product",
        string="Monthly Fee Product",
        help="Product of the invoice lines of the monthly fee.",
    )
    hourly_product_id = fields.Many2one(
        "product.product",
        string="Hourly Rate Product",
        help="Product (and price) of billable hours of requests under this agreement type "
        "(by default the seeded support hour product).",
    )

    @api.constrains("has_monthly_fee", "fee_product_id")
    def _check_fee_product(self):
        for agreement_type in self:
            if agreement_type.has_monthly_fee and not agreement_type.fee_product_id:
                raise ValidationError(
                    self.env._(
                        "Agreement type %(type)s bills a monthly fee: choose the product it is "
                        "invoiced with.",
                        type=agreement_type.display_name,
                    )
                )
