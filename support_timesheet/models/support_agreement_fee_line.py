"""Fee lines are invoiced month by month (``support.agreement.fee.period``): the product of the
invoice line, the months a line has billed, and what changing a billed line does."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class SupportAgreementFeeLine(models.Model):
    _inherit = "support.agreement.fee.line"

    product_id = fields.Many2one(
        "product.product",
        string="Product",
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('type', '=', 'service')]",
        help="The product of the line's invoice lines (default: the agreement type's fee product).",
    )
    fee_period_ids = fields.One2many(
        "support.agreement.fee.period", "fee_line_id", string="Invoiced Months", readonly=True
    )

    @api.depends("agreement_id.type_id.fee_product_id")
    def _compute_product_id(self):
        # Also when the type gets its fee product after the line (support_timesheet installed
        # on an existing database); a line's own product is kept.
        for line in self:
            line.product_id = line.product_id or line.agreement_id.type_id.fee_product_id

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        """A line with months invoiced, waived or lapsed keeps its history: it is retired with
        an end date instead (the days after it are credited)."""
        billed = self.sudo().filtered("fee_period_ids")
        if billed:
            raise UserError(
                self.env._(
                    "The fee line %(line)s of %(agreement)s has invoiced months and cannot be "
                    "deleted: set its end date instead.",
                    line=billed[0].display_name,
                    agreement=billed[0].agreement_id.name,
                )
            )

    def write(self, vals):
        if "agreement_id" in vals:
            moved = self.sudo().filtered(
                lambda line: line.fee_period_ids and line.agreement_id.id != vals["agreement_id"]
            )
            if moved:
                # Its months would be invoiced again under the other agreement.
                raise UserError(
                    self.env._(
                        "The fee line %(line)s of %(agreement)s has invoiced months and cannot "
                        "move to another agreement: set its end date and add a line there.",
                        line=moved[0].display_name,
                        agreement=moved[0].agreement_id.name,
                    )
                )
        res = super().write(vals)
        if {"date_start", "date_end"} & set(vals):
            # A line retired (or started later) after its month was invoiced: the days no longer
            # due are credited, as for an agreement that ends early.
            self.agreement_id.sudo()._support_credit_undue_fees()
        return res
