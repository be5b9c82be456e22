from collections import defaultdict

from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "support.protected.mixin"]  # noqa: RUF012

    support_cost_control = fields.Boolean(
        string="Support Cost Control",
        help="Billable support work beyond the customer's prepaid pack balance is held for the "
        "customer's approval instead of being invoiced. Set on the customer company.",
    )
    support_pack_warning_hours = fields.Float(
        string="Pack Balance Warning (h)",
        default=5.0,
        help="When the remaining hours of a prepaid pack fall to this level, the account manager "
        "gets an activity and the customer a message (0: no warning).",
    )
    support_pack_ids = fields.One2many("support.hour.pack", "partner_id", string="Support Packs")
    support_invoice_ref = fields.Char(
        string="Support Invoice Reference",
        help="The customer's reference for its support invoices (purchase order, cost centre): "
        "the invoice's reference, sent by e-invoicing as the buyer reference. Set on the "
        "customer company.",
    )

    def _support_protected_fields(self):
        """Cost control is a term agreed with the customer: turning it off would bill the work
        held for the customer's approval. Only a Support Manager changes it."""
        return super()._support_protected_fields() | {"support_cost_control"}

    def _support_may_write_protected(self):
        return self.env.su or self.env.user.has_group("support_contract.group_support_manager")

    def write(self, vals):
        res = super().write(vals)
        if "support_cost_control" in vals:
            tickets = (
                self.env["support.ticket"]
                .sudo()
                .search([("commercial_partner_id", "in", self.commercial_partner_id.ids)])
            )
            tickets._support_recompute_billing()
        return res

    def _support_packs_in_draw_order(self, date, company=None):
        """The customer's packs valid on `date` with hours left, in the order billable time
        draws from them (sudo)."""
        self.ensure_one()
        packs = self.env["support.hour.pack"]._support_draw_candidates(
            self.commercial_partner_id, company or self.env.company
        )
        return packs.filtered(lambda pack: pack._support_can_draw(date))

    # ------------------------------------------------------------------ price of an hour
    def _support_hour_price(self, product, company=None):
        """``(price, currency)`` of one hour of `product` for this customer today: the portal's
        quote and the invoice read the rate here."""
        self.ensure_one()
        return self._support_hour_prices(product, company)[(self.id, product.id)]

    def _support_hour_prices(self, products, company=None):
        """``{(partner id, product id): (price, currency)}`` for these customers: the price of
        their pricelist (Odoo's ``product.pricelist``, the customer's
        ``property_product_pricelist``) in its currency, else the product's sales price in the
        company's currency. One pricelist computation per pricelist, whatever the customers."""
        company = company or self.env.company
        date = fields.Date.context_today(self)
        by_pricelist = defaultdict(list)
        for partner in self.with_company(company).sudo():
            by_pricelist[partner.commercial_partner_id.property_product_pricelist].append(partner)
        result = {}
        for pricelist, partners in by_pricelist.items():
            currency = pricelist.currency_id or company.currency_id
            prices = pricelist._get_products_price(
                products.with_company(company).sudo(), 1.0, currency=currency, date=date
            )
            for partner in partners:
                for product in products:
                    result[(partner.id, product.id)] = (prices[product.id], currency)
        return result

    # ------------------------------------------------------------------ invoicing
    def _prepare_support_invoice_values(
        self, company, currency, origin, tickets=None, agreements=None, period=None
    ):
        """Values of a draft customer invoice of support (time or fees) without its lines, as
        Odoo's sales flow fills one (``sale.order._prepare_invoice``): the customer's invoice
        address, its fiscal position (reverse charge for an EU business with a VAT number,
        export outside the EU), payment terms and salesperson, the company's sales journal and
        the customer's reference (``support_invoice_ref``) as the invoice's ``ref``.

        ``tickets`` (time) or ``agreements`` (fees) are what the invoice bills, ``period`` the
        ``(date_from, date_to)`` of a time run: for overrides."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(company)
        invoice_partner = self.browse(customer.address_get(["invoice"])["invoice"]).with_company(
            company
        )
        Journal = self.env["account.journal"].sudo()
        journal = Journal.search(
            [*Journal._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        vals = {
            "move_type": "out_invoice",
            "partner_id": invoice_partner.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "currency_id": (currency or company.currency_id).id,
            "invoice_origin": origin,
            "fiscal_position_id": self.env["account.fiscal.position"]
            .with_company(company)
            ._get_fiscal_position(invoice_partner)
            .id,
            "invoice_payment_term_id": (
                invoice_partner.property_payment_term_id or customer.property_payment_term_id
            ).id,
        }
        salesperson = invoice_partner.user_id or customer.user_id
        if salesperson:
            vals["invoice_user_id"] = salesperson.id
        if customer.support_invoice_ref:
            vals["ref"] = customer.support_invoice_ref
        return vals
