from odoo import models
from odoo.tools import float_round

URGENT = "2"


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    def _support_urgent_surcharge(self):
        """The surcharge (%) on the ticket's hourly hours: its billing type's, if urgent."""
        self.ensure_one()
        if self.priority != URGENT:
            return 0.0
        return self._support_billing_type().support_example_urgent_surcharge

    def _support_bill_line(self, billing_pass, line, packs, within):
        vals, draws = super()._support_bill_line(billing_pass, line, packs, within)
        surcharge = self._support_urgent_surcharge()
        if surcharge and vals["support_billing_status"] == "to_invoice":
            vals = dict(
                vals,
                support_billed_hours=float_round(
                    vals["support_billed_hours"] * (1 + surcharge / 100), precision_digits=4
                ),
            )
        return vals, draws

    def _prepare_support_invoice_line_values(self, quantity, price, currency):
        vals = super()._prepare_support_invoice_line_values(quantity, price, currency)
        if self.priority != "0":
            vals["support_example_priority"] = self.priority
        return vals

    def write(self, vals):
        res = super().write(vals)
        if "priority" in vals and not self._support_is_engine_write():
            self.filtered(
                lambda t: t._support_billing_type().support_example_urgent_surcharge
            )._support_recompute_billing()
        return res
