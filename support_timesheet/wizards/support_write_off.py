from odoo import fields, models


class SupportWriteOff(models.TransientModel):
    """A Support Manager writes off the hours a customer refused, with a reason."""

    _name = "support.write.off"
    _description = "Write Off Refused Support Hours"

    ticket_id = fields.Many2one("support.ticket", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.ticket_id.action_write_off_refused_hours(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
