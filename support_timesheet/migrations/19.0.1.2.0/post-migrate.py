"""A pack is worth its sale less its credit notes: credit notes posted before the link existed
are linked to the pack sale lines they credit, so credited packs stay worth nothing in the
agreement profitability (as before) and in the pack revenue."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["account.move"].search(
        [
            ("move_type", "=", "out_refund"),
            ("state", "=", "posted"),
            ("reversed_entry_id", "!=", False),
            ("invoice_line_ids.product_id.support_is_pack", "=", True),
        ]
    )._support_link_pack_credits()
