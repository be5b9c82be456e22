from odoo import fields, models

OUTCOMES = [
    ("code_error", "Code error identified"),
    ("no_code_error", "No code error identified"),
    ("user_error", "User error"),
    ("other", "Other"),
]
COVERAGES = [("covered", "Covered"), ("billable", "Billable")]


class SupportTicket(models.Model):
    _name = "support.ticket"
    _description = "Support Ticket"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "priority desc, request_date desc, id desc"

    number = fields.Char(string="Reference", readonly=True, copy=False, default="/", index=True)
    name = fields.Char(string="Title", required=True, tracking=True)
    description = fields.Html()
    partner_id = fields.Many2one("res.partner", string="Requester", required=True, tracking=True)
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Customer", store=True, index=True
    )
    category_id = fields.Many2one(
        "support.service.category", string="Service Category", required=True, tracking=True
    )
    request_date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    user_id = fields.Many2one("res.users", string="Consultant", tracking=True)
    stage_id = fields.Many2one("support.ticket.stage", tracking=True, index=True)
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    is_cancelled = fields.Boolean(related="stage_id.is_cancelled", store=True)
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")], default="0", index=True
    )
    outcome = fields.Selection(OUTCOMES, tracking=True, copy=False)
    date_resolved = fields.Datetime(copy=False, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    # The decision (support_contract/models/coverage.py); the override wins when set.
    coverage = fields.Selection(COVERAGES, readonly=True, tracking=True)
    coverage_agreement_id = fields.Many2one("support.agreement", readonly=True, tracking=True)
    coverage_reason = fields.Text(readonly=True)
