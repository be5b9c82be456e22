from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import format_amount

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalModels(SupportPortalFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()

    def _as(self, user, model="support.ticket"):
        return self.env[model].with_user(user)

    # --- record rules -------------------------------------------------------------------------
    def test_key_user_sees_all_customer_tickets(self):
        tickets = self._as(self.portal_key_a).search([])
        self.assertEqual(tickets, self.ticket_key_a | self.ticket_user_a)

    def test_ordinary_contact_sees_own_tickets_only(self):
        tickets = self._as(self.portal_user_a).search([])
        self.assertEqual(tickets, self.ticket_user_a)
        with self.assertRaises(AccessError):
            self.ticket_key_a.with_user(self.portal_user_a).check_access("read")

    def test_other_customer_sees_nothing_of_a(self):
        self.assertEqual(self._as(self.portal_user_b).search([]), self.ticket_b)
        for record in (self.ticket_key_a, self.agr_a_maint, self.pack_a):
            with self.assertRaises(AccessError, msg=record._name):
                record.with_user(self.portal_user_b).check_access("read")
        self.assertEqual(self._as(self.portal_user_b, "support.agreement").search([]), self.agr_b)
        self.assertEqual(self._as(self.portal_user_b, "support.hour.pack").search([]), self.pack_b)
        consumption = self._as(self.portal_user_b, "support.hour.pack.consumption").search([])
        self.assertTrue(consumption)
        self.assertEqual(consumption.pack_id, self.pack_b)

    def test_key_user_status_follows_agreement(self):
        self.assertTrue(self.key_a._is_support_key_user())
        self.assertFalse(self.user_a._is_support_key_user())
        self.agr_a_maint.key_user_ids = [(4, self.user_a.id)]
        self.assertTrue(self.user_a._is_support_key_user())
        self.assertEqual(
            self._as(self.portal_user_a).search([]), self.ticket_key_a | self.ticket_user_a
        )

    # --- ORM-level write protection -----------------------------------------------------------
    def test_portal_cannot_write_decision_hours_or_acceptance(self):
        own = self.ticket_user_a.with_user(self.portal_user_a)
        for vals in (
            {"coverage_override": "covered", "coverage_override_reason": "mine"},
            {"outcome": "code_error"},
            {"hours_logged": 0.0},
            {"hours_billed": 0.0},
            {"charge_accepted": True, "charge_accepted_by_id": self.user_a.id},
            {"approval_state": "approved"},
        ):
            with self.assertRaises(AccessError, msg=str(vals)):
                own.write(vals)
        with self.assertRaises(AccessError):
            self.ticket_key_a.with_user(self.portal_user_b).write({"charge_accepted": True})
        with self.assertRaises(AccessError):
            self._as(self.portal_user_b).create(
                {"name": "x", "partner_id": self.key_a.id, "category_id": self.cat_bug_fix.id}
            )

    # --- decision preview and submission -----------------------------------------------------
    def test_preview_uses_backend_decision(self):
        cases = [
            (self.portal_key_a, self.cat_bug_fix, "covered", False),
            (self.portal_user_a, self.cat_bug_fix, "billable", True),
            (self.portal_user_a, self.cat_code_upgrade, "covered", False),
            (self.portal_user_b, self.cat_bug_fix, "billable", False),
        ]
        for user, category, coverage, key_user_only in cases:
            Ticket = self._as(user)
            preview = Ticket._portal_decide(category)
            backend = Ticket.sudo()._decide_coverage([Ticket._portal_decision_values(category)])[0]
            label = f"{user.login} / {category.code}"
            self.assertEqual(preview["coverage"], coverage, label)
            self.assertEqual(preview["coverage"], backend["coverage"], label)
            self.assertEqual(preview["reason"], backend["reason"], label)
            self.assertEqual(preview["key_user_only"], key_user_only, label)
            self.assertEqual(preview["requires_acceptance"], coverage == "billable", label)
        preview = self._as(self.portal_user_a)._portal_decide(self.cat_bug_fix)
        self.assertEqual(preview["key_users"], ["Anna Nyckel"])
        self.assertIn("Anna Nyckel", " ".join(preview["lines"]))

    def test_preview_names_pack_and_rate(self):
        preview = self._as(self.portal_user_b)._portal_decide(self.cat_bug_fix)
        self.assertEqual(preview["pack"]["name"], self.pack_b.name)
        self.assertTrue(preview["rate"])
        self.assertIn(self.pack_b.name, preview["lines"][0])
        # Customer A's only pack is used up: hourly billing, 30-minute minimum.
        preview = self._as(self.portal_user_a)._portal_decide(self.cat_db_correction)
        self.assertFalse(preview["pack"])
        self.assertIn("30", preview["min_label"])

    def test_submit_billable_requires_acceptance(self):
        Ticket = self._as(self.portal_user_b)
        values = {"category_id": self.cat_bug_fix.id, "name": "Printer", "description": "a\nb"}
        count = Ticket.sudo().search_count([])
        with self.assertRaises(UserError):
            Ticket._portal_create_request(values)
        self.assertEqual(Ticket.sudo().search_count([]), count)
        ticket = Ticket._portal_create_request(dict(values, charge_accepted="1"))
        self.assertEqual(ticket.coverage, "billable")
        self.assertTrue(ticket.charge_accepted)
        self.assertEqual(ticket.charge_accepted_by_id, self.user_b)
        self.assertTrue(ticket.charge_accepted_date)
        self.assertEqual(ticket.partner_id, self.user_b)
        self.assertFalse(ticket.user_id)
        self.assertIn(ticket, Ticket.search([]))

    def test_submit_covered_needs_no_acceptance(self):
        ticket = self._as(self.portal_key_a)._portal_create_request(
            {"category_id": self.cat_bug_fix.id, "name": "Crash on save"}
        )
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_agreement_id, self.agr_a_maint)
        self.assertFalse(ticket.charge_accepted)

    def test_submit_checks_category_and_title(self):
        Ticket = self._as(self.portal_user_b)
        with self.assertRaises(UserError):
            Ticket._portal_create_request({"category_id": "999999", "name": "x"})
        with self.assertRaises(UserError):
            Ticket._portal_create_request({"category_id": self.cat_bug_fix.id, "name": " "})

    # --- approval ---------------------------------------------------------------------------
    def test_held_work_and_approval(self):
        self.assertEqual(self.ticket_user_a.approval_state, "pending")
        with self.assertRaises(AccessError):
            self.ticket_user_a.with_user(self.portal_user_a)._portal_set_approval(True)
        with self.assertRaises(AccessError):
            self.ticket_user_a.with_user(self.portal_user_b)._portal_set_approval(True)
        self.assertEqual(self.ticket_user_a.approval_state, "pending")
        self.ticket_user_a.with_user(self.portal_key_a)._portal_set_approval(True)
        self.assertEqual(self.ticket_user_a.approval_state, "approved")
        self.assertEqual(self.ticket_user_a.approval_partner_id, self.key_a)

    def test_packs_page_values(self):
        values = self._as(self.portal_user_a, "support.hour.pack")._portal_packs_page_values(
            self.user_a
        )
        self.assertEqual(values["packs"], self.pack_a)
        history = values["pack_history"][self.pack_a.id]
        self.assertTrue(history)
        self.assertIn("Fix the data", history[0]["ticket"])
        self.assertTrue(values["cost_control"])
        self.assertFalse(values["is_key_user"])
        self.assertEqual(values["held_tickets"], self.ticket_user_a)

    def test_agreement_groups_follow_catalog_rules(self):
        groups = {g["mode"]: g["categories"] for g in self.agr_a_maint._portal_coverage_groups()}
        self.assertIn(self.cat_code_upgrade, groups["included"])
        self.assertIn(self.cat_bug_fix, groups["key_user"])
        status = self.agr_a_maint._portal_prerequisite_status()
        self.assertTrue(status["met"])
        self.assertEqual(status["agreements"], self.agr_a_patch)
        self.agr_a_patch.action_close()
        # Closing keeps the patch agreement in force until its end date, today, as the
        # decision does: the prerequisite is missing from tomorrow.
        tomorrow = self.today + relativedelta(days=1)
        self.assertFalse(self.agr_a_maint._portal_prerequisite_status(tomorrow)["met"])

    def test_customer_pricelist_rate_quoted_and_invoiced(self):
        """A customer with its own pricelist is quoted and invoiced its rate; others the list
        price."""
        self.env.ref("base.group_user").write(
            {"implied_ids": [Command.link(self.env.ref("product.group_product_pricelist").id)]}
        )
        self.assertTrue(
            self.env["res.groups"]._is_feature_enabled("product.group_product_pricelist")
        )
        hour = self.env.ref("support_timesheet.product_support_hour")
        hour.lst_price = 1000.0
        currency = self.company.currency_id
        customer = self.env["res.partner"].create({"name": "Prislista AB", "is_company": True})
        contact = self.env["res.partner"].create(
            {"name": "Pia Pris", "parent_id": customer.id, "email": "pia@example.com"}
        )
        portal_user = self._portal_user("sp_pricelist", contact)
        customer.property_product_pricelist = self.env["product.pricelist"].create(
            {
                "name": "Prislista AB rate",
                "currency_id": currency.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "1_product",
                            "product_tmpl_id": hour.product_tmpl_id.id,
                            "compute_price": "fixed",
                            "fixed_price": 900.0,
                        }
                    )
                ],
            }
        )
        for user, rate in ((portal_user, 900.0), (self.portal_user_b, 1000.0)):
            with self.subTest(user=user.login):
                preview = self._as(user)._portal_decide(self.cat_db_correction)
                self.assertEqual(preview["rate"], format_amount(self.env, rate, currency))
        ticket = self._ticket(contact, self.cat_db_correction, name="Priced request")
        self._log(ticket, 2.0)
        moves = self.env["support.invoice.create"]._create_invoices_for(
            customer, self.today, self.today
        )
        self.assertEqual(moves.invoice_line_ids.price_unit, 900.0)
        self.assertEqual(moves.amount_untaxed, 1800.0)
        self.assertEqual(moves.currency_id, currency)

    def test_foreign_currency_pricelist_quoted_and_invoiced(self):
        """A customer whose pricelist is in another currency than the company's is quoted and
        invoiced in that currency, at the same price: its own rate, or the list price
        converted at the day's rate."""
        company_currency = self.company.currency_id
        foreign = self.env.ref("base.EUR" if company_currency.name != "EUR" else "base.USD")
        foreign.active = True
        self.env["res.currency.rate"].search(
            [("currency_id", "=", foreign.id), ("company_id", "in", [False, self.company.id])]
        ).unlink()
        self.env["res.currency.rate"].create(
            {
                "currency_id": foreign.id,
                "company_id": self.company.id,
                "name": self.today - relativedelta(days=30),
                "rate": 0.09,  # 1 company currency unit = 0.09 foreign units
            }
        )
        hour = self.env.ref("support_timesheet.product_support_hour")
        hour.lst_price = 1000.0
        cases = (
            # (fixed rate on the pricelist or None, price quoted and invoiced)
            (85.0, 85.0),
            (None, 90.0),  # the list price, converted
        )
        for fixed, price in cases:
            with self.subTest(fixed=fixed):
                customer = self.env["res.partner"].create(
                    {"name": f"Utländsk {fixed} AB", "is_company": True}
                )
                contact = self.env["res.partner"].create(
                    {"name": f"Ute {fixed}", "parent_id": customer.id, "email": "ute@example.com"}
                )
                portal_user = self._portal_user(f"sp_foreign_{fixed or 'list'}", contact)
                items = [
                    Command.create(
                        {
                            "applied_on": "1_product",
                            "product_tmpl_id": hour.product_tmpl_id.id,
                            "compute_price": "fixed",
                            "fixed_price": fixed,
                        }
                    )
                ]
                customer.property_product_pricelist = self.env["product.pricelist"].create(
                    {
                        "name": f"{foreign.name} rate {fixed}",
                        "currency_id": foreign.id,
                        "item_ids": items if fixed else [],
                    }
                )
                preview = self._as(portal_user)._portal_decide(self.cat_db_correction)
                self.assertEqual(preview["rate"], format_amount(self.env, price, foreign))
                ticket = self._ticket(contact, self.cat_db_correction, name="Foreign request")
                self._log(ticket, 2.0)
                move = self.env["support.invoice.create"]._create_invoices_for(
                    customer, self.today, self.today
                )
                self.assertEqual(move.currency_id, foreign)
                self.assertEqual(move.invoice_line_ids.price_unit, price)
                self.assertEqual(move.invoice_line_ids.quantity, 2.0)
                self.assertEqual(move.amount_untaxed, 2 * price)
                move.invoice_date = self.today
                move.action_post()
                self.assertEqual(move.amount_untaxed, 2 * price)
                # The books in the company's currency, at the day's rate.
                self.assertAlmostEqual(move.amount_untaxed_signed, 2 * price / 0.09, delta=0.02)
                self.assertEqual(ticket.hours_invoiced, 2.0)

    def test_quote_of_a_separate_service(self):
        """The quote of a service charged separately names its own rate and no pack."""
        licenses = self.env.ref("support_contract.category_licenses")
        product = self.env.ref("support_timesheet.product_technical_service_hour")
        preview = self._as(self.portal_user_b)._portal_decide(licenses)
        self.assertEqual(preview["coverage"], "billable")
        self.assertTrue(preview["separate"])
        self.assertFalse(preview["pack"], "customer B's pack is not offered")
        self.assertEqual(
            preview["rate"], format_amount(self.env, product.lst_price, self.company.currency_id)
        )
        self.assertIn("not drawn from prepaid support packs", " ".join(preview["lines"]))
        preview = self._as(self.portal_user_b)._portal_decide(self.cat_bug_fix)
        self.assertFalse(preview["separate"])
        self.assertEqual(preview["pack"]["name"], self.pack_b.name)
