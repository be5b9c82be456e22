from odoo import fields, models


class SupportTicketStage(models.Model):
    _name = "support.ticket.stage"
    _description = "Support Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean()
    is_closed = fields.Boolean(
        string="Resolved Stage", help="Tickets in this stage are resolved and need an outcome."
    )
    is_cancelled = fields.Boolean(
        string="Cancelled Stage", help="No time can be logged on tickets in this stage."
    )
