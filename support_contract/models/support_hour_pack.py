from odoo import fields, models


class SupportHourPack(models.Model):
    _name = "support.hour.pack"
    _description = "Prepaid Support Hour Pack"
    _inherit = ["mail.thread"]
    _order = "date_start, id"

    name = fields.Char(required=True, default="/", copy=False)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    hours = fields.Float(required=True, tracking=True)
    date_start = fields.Date(required=True, default=fields.Date.context_today)
    date_end = fields.Date(required=True)
    hours_used = fields.Float(compute="_compute_hours_used", store=True)
    hours_remaining = fields.Float(compute="_compute_hours_used", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )

    def _compute_hours_used(self):
        """Consumption is recorded by support_timesheet, which extends this compute."""
        for pack in self:
            pack.hours_used = 0.0
            pack.hours_remaining = pack.hours
