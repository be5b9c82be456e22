from odoo import api, fields, models
from odoo.exceptions import ValidationError
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
    support_consultant_id = fields.Many2one(
        "res.users",
        string="Default Support Consultant",
        domain="[('share', '=', False)]",
        help="New requests of this customer are assigned to this consultant, unless its "
        "agreement names one.",
    )
    support_request_reader_ids = fields.Many2many(
        "res.partner",
        string="Read All Requests",
        compute="_compute_support_request_reader_ids",
        search="_search_support_request_reader_ids",
        help="Contacts of this customer who read all its requests and its statements: its Key "
        "Users today and its invoice contact. Other contacts read the requests they made.",
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

    # --- Who reads all of a customer's requests (the one definition) ---------------------------
    def _support_invoice_contact(self):
        """The contact of this customer its invoices go to (Odoo's invoice address)."""
        self.ensure_one()
        customer = self.sudo().commercial_partner_id
        return self.browse(customer.address_get(["invoice"])["invoice"])

    def _is_support_request_reader(self):
        """Whether this contact reads all of its customer's requests (and so the statements
        that list them): a Key User today, or the customer's invoice contact. The portal's
        record rules ask the same through ``support_request_reader_ids``."""
        self.ensure_one()
        return self._is_support_key_user() or self._support_invoice_contact() == self

    @api.depends(
        "support_key_user_ids",
        "child_ids",
        "child_ids.type",
    )
    def _compute_support_request_reader_ids(self):
        for partner in self:
            partner.support_request_reader_ids = (
                partner.support_key_user_ids | partner._support_invoice_contact()
            )

    @api.model
    def _search_support_request_reader_ids(self, operator, value):
        """Customers all of whose requests the given contacts read (the domain form of
        ``_is_support_request_reader``, evaluated when the search runs)."""
        if operator != "in":
            return NotImplemented
        contacts = self.browse(value).sudo().exists()
        invoiced = contacts.filtered(lambda c: c._support_invoice_contact() == c)
        return Domain(
            "support_agreement_ids", "any", contacts._get_support_key_user_agreement_domain()
        ) | Domain("id", "in", invoiced.commercial_partner_id.ids)

    # --- Who holds agreements, environments and packs (the one rule) --------------------------
    @api.model
    def _support_check_customer(self, records):
        """The customer (``partner_id``) of each of ``records`` (agreements, environments,
        packs) is a company or a private customer, never a contact of a company."""
        for record in records:
            partner = record.partner_id
            if partner and partner != partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "%(document)s %(record)s: the customer must be a company (or a private "
                        "customer), not %(contact)s, a contact of %(company)s.",
                        document=self.env["ir.model"].sudo()._get(record._name).name,
                        record=record.display_name,
                        contact=partner.name,
                        company=partner.commercial_partner_id.display_name,
                    )
                )
        return True
