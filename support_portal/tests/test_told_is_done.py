from dateutil.relativedelta import relativedelta

from odoo.fields import Domain
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestToldIsDone(SupportPortalFixture, TransactionCase):
    """What the customer is told (notices, portal quote, statement) and who is told it, compared
    with what the engine and the rules decide on the same data. Each case once had a second
    copy of the rule that answered differently."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.user_b.email = "bertil@b.example.com"
        cls.user_b.lang = "en_US"
        cls.cat_data_import = cls.env.ref("support_contract.category_data_import")
        cls.subtype_received = cls.env.ref("support_portal.mt_ticket_received")
        cls.yesterday = cls.today - relativedelta(days=1)
        cls.tomorrow = cls.today + relativedelta(days=1)

    def _request(self, user, category):
        return (
            self.env["support.ticket"]
            .with_user(user)
            ._portal_create_request(
                {"category_id": category.id, "name": "Import", "charge_accepted": "1"}
            )
        )

    def _acknowledgement(self, ticket):
        return ticket.message_ids.filtered(lambda m: m.subtype_id == self.subtype_received)

    # --- Notices and quotes: the pack and the minimum the engine bills -----------------------
    def test_notice_of_a_service_charged_separately(self):
        """An On-Demand customer with a pack asks for a data import (charged separately): the
        acknowledgement says it is invoiced, not drawn from the pack, as the engine bills it."""
        self.assertFalse(self.cat_data_import.draws_from_packs)
        ticket = self._request(self.portal_user_b, self.cat_data_import)
        self.assertEqual(ticket.coverage, "billable")
        ack = self._acknowledgement(ticket)
        self.assertEqual(len(ack), 1)
        self.assertNotIn(self.pack_b.name, ack.body)
        self.assertIn("not drawn from prepaid support packs", ack.body)
        quote = (
            self.env["support.ticket"]
            .with_user(self.portal_user_b)
            ._portal_decide(self.cat_data_import)
        )
        self.assertFalse(quote["pack"])
        self.assertEqual(quote["lines"], ticket._support_cost_lines())
        # The engine: invoiced, nothing drawn from the pack.
        balance = self.pack_b.hours_remaining
        line = self._log(ticket, 2.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.support_pack_hours, 0.0)
        self.assertEqual(self.pack_b.hours_remaining, balance)

    def test_notice_of_a_service_drawn_from_the_pack(self):
        """The same customer's bug fix draws from its pack: the notice names the pack the engine
        draws from."""
        ticket = self._request(self.portal_user_b, self.cat_bug_fix)
        ack = self._acknowledgement(ticket)
        self.assertIn(f"drawn from your prepaid pack {self.pack_b.name}", ack.body)
        line = self._log(ticket, 2.0)
        self.assertEqual(line.support_billing_status, "pack")
        draws = self.env["support.hour.pack.consumption"].search([("timesheet_id", "=", line.id)])
        self.assertEqual(draws.pack_id, self.pack_b)

    def test_no_billing_type_means_no_minimum(self):
        """Without an agreement or a default billing type the engine adds no minimum: the portal
        quotes none either (it once quoted 30 minutes)."""
        self.company.support_default_type_id = False
        self.agr_b.action_cancel()
        quote = (
            self.env["support.ticket"]
            .with_user(self.portal_user_b)
            ._portal_decide(self.cat_data_import)
        )
        self.assertEqual(quote["coverage"], "billable")
        self.assertNotIn("at least", " ".join(quote["lines"]))
        ticket = self._request(self.portal_user_b, self.cat_data_import)
        self.assertFalse(ticket._support_billing_type())
        self._log(ticket, 0.1)
        self.assertAlmostEqual(ticket.hours_billed, 0.1)
        self.assertNotIn("at least", self._acknowledgement(ticket).body)

    def test_quoted_minimum_is_the_minimum_billed(self):
        """The minimum the quote and the acknowledgement state is the one the engine bills
        (the agreement type's, through ``_support_billing_type``)."""
        self.type_on_demand.min_billed_hours = 0.75
        quote = (
            self.env["support.ticket"]
            .with_user(self.portal_user_b)
            ._portal_decide(self.cat_data_import)
        )
        self.assertIn("at least 45 minutes", " ".join(quote["lines"]))
        ticket = self._request(self.portal_user_b, self.cat_data_import)
        self.assertEqual(ticket._support_billing_type(), self.type_on_demand)
        self.assertIn("at least 45 minutes", self._acknowledgement(ticket).body)
        self._log(ticket, 0.1)
        self.assertAlmostEqual(ticket.hours_billed, 0.75)
        self.assertAlmostEqual(ticket.hours_to_invoice, 0.75)

    # --- Key Users and in-force agreements -----------------------------------------------------
    def test_pack_notice_goes_to_key_users_today(self):
        """Pack notices go to the Key Users of agreements in force today (closed today still
        counts; an active agreement that ended or has not started does not)."""
        ended = self._contact(self.cust_a, "Egon Slut", email="egon@a.example.com")
        future = self._contact(self.cust_a, "Frida Sen", email="frida@a.example.com")
        self._agreement(self.cust_a, self.type_on_demand, ended, date_end=self.yesterday)
        self._agreement(self.cust_a, self.type_on_demand, future, date_start=self.tomorrow)
        self.agr_a_maint.action_close()  # closed today: in force until tonight
        recipients = self.pack_a._support_pack_key_users()
        self.assertEqual(recipients, self.key_a)
        for contact in (self.key_a, ended, future, self.user_a):
            self.assertEqual(contact in recipients, contact._is_support_key_user(), contact.name)
        self.pack_a._support_notify_customer("low")
        self.assertIn(self.key_a, self.pack_a.message_partner_ids)
        self.assertNotIn(ended, self.pack_a.message_partner_ids)
        self.assertNotIn(future, self.pack_a.message_partner_ids)

    def test_assignment_follows_agreements_in_force(self):
        """A new request goes to the consultant of an agreement in force, not of one that only
        starts tomorrow."""
        Users = self.env["res.users"]
        now_consultant = self._user("sp_now", "support_contract.group_support_user")
        later_consultant = self._user("sp_later", "support_contract.group_support_user")
        self._agreement(
            self.cust_b,
            self.type_on_demand,
            date_start=self.tomorrow,
            consultant_id=later_consultant.id,
        )
        ticket = self._ticket(self.user_b, self.cat_bug_fix)
        self.assertEqual(ticket._support_default_consultants()[ticket.id], Users)
        self.agr_b.consultant_id = now_consultant
        self.agr_b.action_close()  # closed today: still in force
        self.assertEqual(ticket._support_default_consultants()[ticket.id], now_consultant)

    def test_in_force_sql_is_the_in_force_domain(self):
        """The profitability report's SQL form of the in-force rule selects what the domain
        selects, on every state and around the dates."""
        Agreement = self.env["support.agreement"]
        agreements = Agreement.search([("partner_id", "in", (self.cust_a | self.cust_b).ids)])
        agreements |= self._agreement(self.cust_b, self.type_on_demand, date_end=self.yesterday)
        agreements |= self._agreement(self.cust_b, self.type_on_demand, date_start=self.tomorrow)
        closed = self._agreement(self.cust_b, self.type_on_demand)
        closed.action_close()
        cancelled = self._agreement(self.cust_b, self.type_on_demand)
        cancelled.action_cancel()
        draft = Agreement.create({"partner_id": self.cust_b.id, "type_id": self.type_on_demand.id})
        agreements |= closed | cancelled | draft
        self.env.flush_all()
        for day in (self.year_ago, self.yesterday, self.today, self.tomorrow):
            expected = Agreement.search(
                Agreement._get_in_force_domain(day) & Domain("id", "in", agreements.ids)
            )
            rows = self.env.execute_query(
                SQL(
                    "SELECT a.id FROM support_agreement a WHERE a.id IN %s AND %s",
                    tuple(agreements.ids),
                    Agreement._get_in_force_sql("a", SQL("%s::date", day)),
                )
            )
            self.assertEqual({row[0] for row in rows}, set(expected.ids), str(day))
            self.assertTrue(expected, str(day))

    # --- The statement's fees to invoice -------------------------------------------------------
    def test_statement_fees_to_invoice_are_what_the_fee_run_invoices(self):
        """The statement lists as fees to invoice what the fee run invoices: a fee on a type
        without monthly fees, or before the date fees are invoiced from, is not."""
        month = self.today.replace(day=1)
        month_end = month + relativedelta(months=1, days=-1)
        no_fee_type = self.type_on_demand
        self.assertFalse(no_fee_type.has_monthly_fee)
        self.agr_b.monthly_fee = 300.0  # a fee on a type that bills none
        self.agr_a_patch.fee_date_from = month + relativedelta(months=1)  # from next month
        Statement = self.env["support.statement"]
        told = {}
        for customer in (self.cust_a, self.cust_b):
            statement = Statement._issue(customer, month, self.company)
            told[customer] = {
                (fee["fee_line"], fee["date_start"], fee["amount"])
                for fee in statement._statement_values()["fees_to_invoice"]
            }
        told_agreements = {line.agreement_id for line, _month, _amount in told[self.cust_a]}
        self.assertFalse(told[self.cust_b])
        self.assertNotIn(self.agr_a_patch, told_agreements)
        self.assertIn(self.agr_a_maint, told_agreements)
        agreements = self.agr_a_patch | self.agr_a_maint | self.agr_b
        moves = agreements._invoice_monthly_fees(until=month_end)
        # Each fee line's month, at the amount of the real invoice line.
        invoiced = {
            (period.fee_line_id, period.date_start, period.invoice_line_id.price_subtotal)
            for period in self.env["support.agreement.fee.period"].search(
                [("invoice_line_id.move_id", "in", moves.ids)]
            )
        }
        self.assertEqual(invoiced, told[self.cust_a] | told[self.cust_b])
