from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SupportHourPackConsumption(models.Model):
    """Hours of a timesheet line (or of a ticket's per-request minimum) drawn from a pack.

    The consultant's logged hours (``unit_amount``) stay untouched; a line crossing the end of a
    pack gets one consumption per pack it draws from.
    """

    _name = "support.hour.pack.consumption"
    _description = "Support Pack Consumption"
    _order = "date desc, id desc"

    pack_id = fields.Many2one(
        "support.hour.pack", required=True, ondelete="restrict", index=True, readonly=True
    )
    timesheet_id = fields.Many2one(
        "account.analytic.line",
        string="Timesheet",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="Empty for hours added by the per-request minimum or rounding.",
    )
    ticket_id = fields.Many2one(
        "support.ticket", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    hours = fields.Float(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", related="pack_id.company_id", store=True, index=True, precompute=True
    )

    @api.constrains("hours")
    def _check_hours(self):
        for consumption in self:
            if consumption.hours <= 0:
                raise ValidationError(
                    self.env._("A pack consumption must draw a positive number of hours.")
                )

    def _support_draw_key(self):
        """What a draw belongs to: its timesheet line, or the ticket's extra hours."""
        self.ensure_one()
        return self.timesheet_id.id or ("extra", self.ticket_id.id)
