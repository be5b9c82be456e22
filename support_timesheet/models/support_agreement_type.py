from odoo import fields, models


class SupportAgreementType(models.Model):
    _inherit = "support.agreement.type"

    fee_product_id = fields.Many2one(
        "product.product",
        string="Monthly Fee Product",
        help="Product of the invoice lines of the monthly fee (by default the patch or "
        "maintenance fee product, by the type's code).",
    )
    hourly_product_id = fields.Many2one(
        "product.product",
        string="Hourly Rate Product",
        help="Product (and price) of billable hours of requests under this agreement type "
        "(by default the seeded support hour product).",
    )
