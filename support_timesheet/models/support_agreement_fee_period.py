from odoo import fields, models


class SupportAgreementFeePeriod(models.Model):
    """A month of an agreement's fee line, invoiced once: the unique key is the lock."""

    _name = "support.agreement.fee.period"
    _description = "Support Agreement Fee Period"
    _order = "date_start desc, id desc"

    agreement_id = fields.Many2one(
        "support.agreement", required=True, ondelete="cascade", index=True, readonly=True
    )
    fee_line_id = fields.Many2one(
        "support.agreement.fee.line",
        string="Fee Line",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="The fee line whose month this is (empty: a month invoiced before fee lines, for the "
        "whole agreement).",
    )
    partner_id = fields.Many2one(related="agreement_id.partner_id", string="Customer", store=True)
    date_start = fields.Date(required=True, readonly=True)
    date_end = fields.Date(required=True, readonly=True)
    state = fields.Selection(
        [
            ("invoiced", "Invoiced"),
            ("cancelled", "Invoice Cancelled"),
            ("waived", "Waived"),
            ("lapsed", "Prerequisite Lapsed"),
        ],
        default="invoiced",
        required=True,
        readonly=True,
        help="Invoice Cancelled: the invoice was cancelled or credited on purpose; the daily job "
        "does not invoice the month again (Invoice Monthly Fees on the agreement does). Waived: "
        "a manager waived the month. Prerequisite Lapsed: no day of the month was due.",
    )
    ratio = fields.Float(
        string="Prorated Share", readonly=True, digits=(16, 4), help="Share of the month billed."
    )
    credited_ratio = fields.Float(
        string="Credited Share",
        readonly=True,
        digits=(16, 4),
        help="Share of the month credited afterwards (agreement ended early, prerequisite "
        "lapsed, month waived).",
    )
    billed_from = fields.Date(readonly=True)
    billed_to = fields.Date(readonly=True)
    lapsed_days = fields.Integer(
        readonly=True, help="Days of the month not billed because the prerequisite had lapsed."
    )
    waive_reason = fields.Text(readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    invoice_line_id = fields.Many2one(
        "account.move.line", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    company_id = fields.Many2one(related="agreement_id.company_id", store=True, index=True)

    _agreement_line_period_unique = models.Constraint(
        "UNIQUE(agreement_id, fee_line_id, date_start)",
        "The monthly fee of an agreement's fee line is invoiced only once per period.",
    )
    _agreement_period_unique_without_line = models.UniqueIndex(
        "(agreement_id, date_start) WHERE fee_line_id IS NULL",
        "The monthly fee of an agreement is invoiced only once per period.",
    )
