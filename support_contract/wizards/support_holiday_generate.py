from odoo import api, fields, models


class SupportHolidayGenerate(models.TransientModel):
    """Add the Swedish public holidays (and julafton, nyårsafton, midsommarafton) of a range of
    years to working calendars as global leaves; days that already have one are left alone."""

    _name = "support.holiday.generate"
    _description = "Generate Swedish Public Holidays"

    calendar_ids = fields.Many2many(
        "resource.calendar",
        string="Working Calendars",
        required=True,
        default=lambda self: self._default_calendar_ids(),
    )
    year_from = fields.Integer(
        string="From Year", required=True, default=lambda self: fields.Date.today().year
    )
    year_to = fields.Integer(
        string="To Year", required=True, default=lambda self: fields.Date.today().year + 1
    )

    @api.model
    def _default_calendar_ids(self):
        if self.env.context.get("active_model") == "resource.calendar":
            return self.env["resource.calendar"].browse(self.env.context.get("active_ids"))
        return self.env.company.resource_calendar_id

    def action_generate(self):
        self.ensure_one()
        leaves = self.calendar_ids._support_generate_swedish_holidays(self.year_from, self.year_to)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s public holidays added.", count=len(leaves)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
