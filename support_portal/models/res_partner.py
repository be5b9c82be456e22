from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_agreement_ids = fields.One2many(
        "support.agreement",
        "partner_id",
        string="Support Agreements",
        help="Agreements held by this customer company (used by the portal record rules).",
    )

    def _is_support_key_user(self):
        """Whether this contact is a Key User on an active agreement of its own customer."""
        self.ensure_one()
        return bool(
            self.env["support.agreement"]
            .sudo()
            .search_count(
                [
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("state", "=", "active"),
                    ("key_user_ids", "in", self.ids),
                ],
                limit=1,
            )
        )
