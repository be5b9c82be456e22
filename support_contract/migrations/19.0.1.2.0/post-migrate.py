"""Monthly fees become the sum of fee lines: each existing agreement keeps its stored fee as one
fee line (the column keeps its value, so the sum equals the fee it had)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["support.agreement"]._support_migrate_fee_lines()
