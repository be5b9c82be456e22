from odoo import fields, models


class SupportAgreement(models.Model):
    _name = "support.agreement"
    _description = "Support Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"

    name = fields.Char(string="Reference", required=True, copy=False, default="/", tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The customer company holding the agreement.",
    )
    type_id = fields.Many2one("support.agreement.type", required=True, tracking=True)
    type_code = fields.Char(related="type_id.code", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    date_start = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(tracking=True, help="Empty: open-ended.")
    key_user_ids = fields.Many2many(
        "res.partner",
        "support_agreement_key_user_rel",
        "agreement_id",
        "partner_id",
        string="Key Users",
        help="Contacts of the customer entitled to General Support to Key Users.",
    )
    monthly_fee = fields.Monetary(currency_field="currency_id", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Account Manager", default=lambda self: self.env.user, tracking=True
    )
    note = fields.Html()
