from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class SupportStatementCreate(models.TransientModel):
    """Issue (and send) the statements of a month by hand: a new version for each customer."""

    _name = "support.statement.create"
    _description = "Issue Support Statements"

    date = fields.Date(
        string="Month",
        required=True,
        default=lambda self: fields.Date.context_today(self) - relativedelta(months=1, day=1),
        help="Any day of the month to state.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        domain=[("is_company", "=", True)],
        help="Empty: every customer with support activity in the month.",
    )
    send = fields.Boolean(string="Send by E-mail", default=True)

    @api.model
    def default_get(self, fields_list):
        self.env["support.statement"]._check_can_issue()
        return super().default_get(fields_list)

    def action_issue(self):
        self.ensure_one()
        Statement = self.env["support.statement"]
        Statement._check_can_issue()
        company = self.env.company
        month = self.date.replace(day=1)
        partners = self.partner_ids.commercial_partner_id or Statement._customers_with_activity(
            company, month
        )
        if not partners:
            raise UserError(self.env._("No customer had support activity in that month."))
        statements = Statement._issue(partners, month, company)
        if self.send:
            statements._send()
        return Statement._action_open(statements)
