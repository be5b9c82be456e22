"""Monthly fees become the sum of fee lines: the months invoiced before belong to the
agreement's one fee line (made by support_contract's 19.0.1.2.0 migration)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["support.agreement"]._support_migrate_fee_lines()
