from odoo import fields, models


class SupportSlaDeadlineChange(models.TransientModel):
    """A Support Manager moves a ticket's service level deadlines, with a reason (kept in the
    ticket's chatter and its tracking)."""

    _name = "support.sla.deadline.change"
    _description = "Change Service Level Deadlines"

    ticket_id = fields.Many2one("support.ticket", required=True, ondelete="cascade")
    response_deadline = fields.Datetime(string="Answer By")
    resolution_deadline = fields.Datetime(string="Resolve By")
    reason = fields.Text(required=True)

    def default_get(self, fields_list):
        defaults = super().default_get(fields_list)
        ticket = self.env["support.ticket"].browse(defaults.get("ticket_id"))
        if ticket:
            defaults.setdefault("response_deadline", ticket.sla_response_deadline)
            defaults.setdefault("resolution_deadline", ticket.sla_resolution_deadline)
        return defaults

    def action_apply(self):
        self.ensure_one()
        self.ticket_id._sla_set_deadlines(
            self.response_deadline, self.resolution_deadline, self.reason
        )
        return {"type": "ir.actions.act_window_close"}
