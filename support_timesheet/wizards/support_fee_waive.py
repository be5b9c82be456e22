from odoo import fields, models


class SupportFeeWaive(models.TransientModel):
    """A Support Manager waives the fee of one month of an agreement, with a reason."""

    _name = "support.fee.waive"
    _description = "Waive a Monthly Fee"

    agreement_id = fields.Many2one("support.agreement", required=True)
    month = fields.Date(required=True, help="Any day of the month to waive.")
    fee_line_id = fields.Many2one(
        "support.agreement.fee.line",
        string="Fee Line",
        help="Only this fee line's month (empty: every fee line of the agreement).",
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.agreement_id.action_waive_fee_month(
            month=self.month, reason=self.reason, fee_line_id=self.fee_line_id.id
        )
        return {"type": "ir.actions.act_window_close"}
