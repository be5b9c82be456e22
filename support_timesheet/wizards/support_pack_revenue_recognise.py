from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError


class SupportPackRevenueRecognise(models.TransientModel):
    """The accountant recognises prepaid pack revenue up to a date (the monthly job does it up
    to the end of each month)."""

    _name = "support.pack.revenue.recognise"
    _description = "Recognise Prepaid Pack Revenue"

    date = fields.Date(
        required=True,
        default=lambda self: self._default_date(),
        help="Hours drawn up to this day, and packs expired before it, are recognised; the "
        "entry is dated this day (or the first day after the lock dates).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.model
    def _default_date(self):
        return fields.Date.context_today(self).replace(day=1) - timedelta(days=1)

    def action_recognise(self):
        self.ensure_one()
        Pack = self.env["support.hour.pack"]
        Pack._support_check_revenue_rights()
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You do not work in %(company)s.", company=self.company_id.display_name)
            )
        moves = Pack._support_recognise_revenue(self.date, self.company_id)
        if not moves:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("Nothing to recognise: the books are up to date."),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": moves.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
