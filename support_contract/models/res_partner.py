from odoo import api, fields, models
from odoo.fields import Domain


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_agreement_ids = fields.One2many(
        "support.agreement",
        "partner_id",
        string="Support Agreements",
        help="Agreements held by this customer company.",
    )
    support_key_user_ids = fields.Many2many(
        "res.partner",
        string="Key Users Today",
        compute="_compute_support_key_user_ids",
        search="_search_support_key_user_ids",
        help="Contacts of this customer named Key User on one of its agreements in force today.",
    )

    # --- Key User on a date (the one definition) ----------------------------------------------
    def _get_support_key_user_agreement_domain(self, date=None):
        """The agreements on which the contacts of ``self`` are Key Users on ``date`` (default:
        today): agreements of their own customer, in force on that date, naming them."""
        return (
            self.env["support.agreement"]._get_in_force_domain(date)
            & Domain("key_user_ids", "in", self.ids)
            & Domain("partner_id", "in", self.commercial_partner_id.ids)
        )

    def _support_key_user_agreements(self, date=None, agreements=None):
        """The agreements naming this contact a Key User on ``date`` (default: today), looked
        up among ``agreements`` (already read) when given. The coverage decision, the portal's
        visibility rules and the approval rights all ask this."""
        self.ensure_one()
        domain = self._get_support_key_user_agreement_domain(date)
        if agreements is not None:
            return agreements.filtered_domain(domain)
        return self.env["support.agreement"].sudo().search(domain)

    def _is_support_key_user(self, date=None):
        """Whether this contact is a Key User of its customer on ``date`` (default: today)."""
        return bool(self._support_key_user_agreements(date))

    @api.depends(
        "support_agreement_ids.state",
        "support_agreement_ids.date_start",
        "support_agreement_ids.date_end",
        "support_agreement_ids.key_user_ids",
    )
    def _compute_support_key_user_ids(self):
        Agreement = self.env["support.agreement"].sudo()
        agreements = Agreement.search(
            Agreement._get_in_force_domain() & Domain("partner_id", "in", self.ids)
        )
        for partner in self:
            contacts = agreements.filtered(lambda a, p=partner: a.partner_id == p).key_user_ids
            partner.support_key_user_ids = contacts.filtered(
                lambda c: c._support_key_user_agreements(agreements=agreements)
            )

    @api.model
    def _search_support_key_user_ids(self, operator, value):
        """Customers of whom the given contacts are Key Users today (the domain form of
        ``_is_support_key_user``, evaluated when the search runs: record rules use it)."""
        if operator != "in":
            return NotImplemented
        contacts = self.browse(value).sudo()
        return Domain(
            "support_agreement_ids", "any", contacts._get_support_key_user_agreement_domain()
        )
