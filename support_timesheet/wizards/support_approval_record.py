from odoo import api, fields, models


class SupportApprovalRecord(models.TransientModel):
    """A Support Manager records the customer's answer on held hours received outside the
    portal: which Key User answered, and how."""

    _name = "support.approval.record"
    _description = "Record the Customer's Answer on Held Hours"

    ticket_id = fields.Many2one("support.ticket", required=True)
    decision = fields.Selection(
        [("approved", "Approved"), ("refused", "Refused")], required=True, default="approved"
    )
    key_user_ids = fields.Many2many(
        "res.partner", string="Key Users", compute="_compute_key_user_ids"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Answered by",
        required=True,
        domain="[('id', 'in', key_user_ids)]",
        help="The customer's Key User who approved or refused.",
    )
    channel = fields.Selection(
        [
            ("phone", "By phone"),
            ("email", "By e-mail"),
            ("meeting", "In a meeting"),
            ("other", "Other"),
        ],
        string="How",
        required=True,
        default="phone",
    )
    note = fields.Char(string="Details")

    @api.depends("ticket_id")
    def _compute_key_user_ids(self):
        for wizard in self:
            ticket = wizard.ticket_id
            agreements = ticket._support_key_user_agreements() if ticket else ticket
            wizard.key_user_ids = agreements.key_user_ids if ticket else False

    def action_confirm(self):
        self.ensure_one()
        channels = dict(self._fields["channel"]._description_selection(self.env))
        how = channels[self.channel]
        if self.note:
            how = f"{how}: {self.note}"
        ticket = self.ticket_id
        if self.decision == "approved":
            ticket.action_approve_extra_hours(partner_id=self.partner_id.id, note=how)
        else:
            ticket.action_refuse_extra_hours(partner_id=self.partner_id.id, note=how)
        return {"type": "ir.actions.act_window_close"}
