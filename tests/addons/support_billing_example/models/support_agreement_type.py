from odoo import fields, models


class SupportAgreementType(models.Model):
    _inherit = "support.agreement.type"

    support_example_urgent_surcharge = fields.Float(
        string="Urgent Surcharge (%)",
        help="Hours billed hourly on urgent requests are billed this much more (0: none).",
    )
