from odoo import fields


def post_init_hook(env):
    """Agreements that exist before installation: their fees are invoiced from this month on."""
    month = fields.Date.context_today(env.user).replace(day=1)
    for agreement in env["support.agreement"].search([("fee_period_ids", "=", False)]):
        agreement.fee_date_from = max(agreement.date_start, month)
