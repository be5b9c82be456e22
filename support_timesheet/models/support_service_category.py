from odoo import fields, models


class SupportServiceCategory(models.Model):
    _inherit = "support.service.category"

    hourly_product_id = fields.Many2one(
        "product.product",
        string="Invoiced With",
        help="Product (and so the rate) billable time of this category is invoiced with "
        "(empty: the hourly product of the agreement type that bills it).",
    )
    draws_from_packs = fields.Boolean(
        string="Draws from Prepaid Packs",
        default=True,
        help="Billable time of this category is drawn from the customer's prepaid support "
        "packs first. Services charged separately do not draw from packs.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "draws_from_packs" in vals:
            # Work not invoiced yet follows the new setting.
            tickets = (
                self.env["support.ticket"]
                .sudo()
                .search(
                    [
                        ("category_id", "in", self.ids),
                        "|",
                        "|",
                        ("hours_to_invoice", ">", 0),
                        ("hours_held", ">", 0),
                        ("hours_from_pack", ">", 0),
                    ]
                )
            )
            tickets._support_recompute_billing()
        return res
