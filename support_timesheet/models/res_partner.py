from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_cost_control = fields.Boolean(
        string="Support Cost Control",
        help="Billable support work beyond the customer's prepaid pack balance is held for the "
        "customer's approval instead of being invoiced. Set on the customer company.",
    )
    support_pack_warning_hours = fields.Float(
        string="Pack Balance Warning (h)",
        default=5.0,
        help="When the remaining hours of a prepaid pack fall to this level, the account manager "
        "gets an activity and the customer a message (0: no warning).",
    )
    support_pack_ids = fields.One2many("support.hour.pack", "partner_id", string="Support Packs")

    def write(self, vals):
        res = super().write(vals)
        if "support_cost_control" in vals:
            tickets = (
                self.env["support.ticket"]
                .sudo()
                .search([("commercial_partner_id", "in", self.commercial_partner_id.ids)])
            )
            tickets._support_recompute_billing()
        return res
