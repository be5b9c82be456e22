from odoo import fields, models


class SupportAgreementFeePeriod(models.Model):
    """A month of an agreement's fee, invoiced once: the unique key is the lock."""

    _name = "support.agreement.fee.period"
    _description = "Support Agreement Fee Period"
    _order = "date_start desc, id desc"

    agreement_id = fields.Many2one(
        "support.agreement", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one(related="agreement_id.partner_id", string="Customer", store=True)
    date_start = fields.Date(required=True, readonly=True)
    date_end = fields.Date(required=True, readonly=True)
    ratio = fields.Float(
        string="Prorated Share", readonly=True, digits=(16, 4), help="Share of the month billed."
    )
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    invoice_line_id = fields.Many2one(
        "account.move.line", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    company_id = fields.Many2one(related="agreement_id.company_id", store=True, index=True)

    _agreement_period_unique = models.Constraint(
        "UNIQUE(agreement_id, date_start)",
        "The monthly fee of an agreement is invoiced only once per period.",
    )
