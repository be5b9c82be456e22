from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalStatements(SupportPortalFixture, HttpCase):
    """Statements in the portal: a customer's statements list all its requests, so the contacts
    who read them all (Key Users, the invoice contact) read them, once sent; nobody else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        Statement = cls.env["support.statement"]
        month = cls.today.replace(day=1)
        cls.statement_a = Statement._issue(cls.cust_a, month, cls.company)
        cls.statement_b = Statement._issue(cls.cust_b, month, cls.company)

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def test_list_and_download_own(self):
        """A Key User reads the customer's sent statement, with every request of the customer."""
        self.statement_a._send()
        self._login(self.portal_key_a)
        response = self._get("/my/support/statements")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        self.assertNotIn(f"/my/support/statements/{self.statement_b.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.statement_a.attachment_id.raw)
        self.assertIn(b"Fix the data", response.content)
        self.assertIn(b"Key user bug", response.content)
        self.assertNotIn(b"B's bug", response.content)
        response = self._get(
            f"/report/html/support_timesheet.support_statement_report/{self.statement_a.id}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Fix the data", response.text)

    def test_contact_who_reads_own_requests_only(self):
        """A contact who cannot open colleagues' requests does not get them through the
        statement: not in the portal list, not by its link, not by the report's routes, not by
        RPC. The records are unchanged."""
        self.statement_a._send()
        Ticket = self.env["support.ticket"].with_user(self.portal_user_a)
        self.assertNotIn(self.ticket_key_a, Ticket.search([]))
        self._login(self.portal_user_a)
        response = self._get("/my/support/statements")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(b"Key user bug", response.content)
        for kind in ("html", "pdf"):
            response = self._get(
                f"/report/{kind}/support_timesheet.support_statement_report/{self.statement_a.id}"
            )
            self.assertNotEqual(response.status_code, 200, kind)
            self.assertNotIn(b"Key user bug", response.content, kind)
        statement = self.statement_a.with_user(self.portal_user_a)
        with self.assertRaises(AccessError):
            statement.read(["name"])
        with self.assertRaises(AccessError):
            statement._statement_values()
        with self.assertRaises(AccessError):
            statement.action_download()
        with self.assertRaises(AccessError):
            self.statement_a.attachment_id.with_user(self.portal_user_a).read(["raw"])
        self.assertEqual(self.statement_a.state, "sent")

    def test_invoice_contact_reads_all_requests_and_the_statement(self):
        """The customer's invoice contact reads all its requests (its invoices list them) and
        so the statement; the rule of both is ``_is_support_request_reader``."""
        invoicing = self._contact(
            self.cust_a, "Ingrid Faktura", type="invoice", email="faktura@a.example.com"
        )
        portal_invoicing = self._portal_user("sp_invoice_a", invoicing)
        self.assertTrue(invoicing._is_support_request_reader())
        self.assertFalse(self.user_a._is_support_request_reader())
        self.assertEqual(
            self.env["support.ticket"].with_user(portal_invoicing).search([]),
            self.ticket_key_a | self.ticket_user_a,
        )
        self.statement_a._send()
        self.assertEqual(
            self.env["support.statement"].with_user(portal_invoicing).search([]),
            self.statement_a,
        )
        # Each contact's statements follow its tickets: all of them, or no statement.
        for user in (self.portal_key_a, self.portal_user_a, portal_invoicing):
            reads_all = user.partner_id._is_support_request_reader()
            tickets = self.env["support.ticket"].with_user(user).search([])
            statements = self.env["support.statement"].with_user(user).search([])
            self.assertEqual(reads_all, self.ticket_key_a in tickets, user.login)
            self.assertEqual(reads_all, self.statement_a in statements, user.login)
        # In the portal: the colleague's request, the statement and its PDF.
        self._login(portal_invoicing)
        response = self._get("/my/support/tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Key user bug", response.text)
        self.assertNotIn("B's bug", response.text)
        response = self._get(f"/my/support/tickets/{self.ticket_key_a.id}")
        self.assertEqual(response.status_code, 200)
        response = self._get("/my/support/statements")
        self.assertIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}?download=1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.statement_a.attachment_id.raw)
        # The contact who reads only the requests they made: not the colleague's request.
        self._login(self.portal_user_a)
        response = self._get("/my/support/tickets")
        self.assertIn("Fix the data", response.text)
        self.assertNotIn("Key user bug", response.text)
        response = self._get(f"/my/support/tickets/{self.ticket_key_a.id}")
        self.assertNotEqual(response.status_code, 200)

    def test_statement_mailed_to_a_reader(self):
        """The statement's e-mail goes to the customer's invoice contact, who reads it by the
        rule of its portal page and PDF: the company itself, or the contact its invoices go
        to, never the company's address beside that contact."""

        def mailed(statement):
            message = statement.message_ids.filtered("attachment_ids")
            self.assertEqual(message.attachment_ids, statement.attachment_id)
            told = message.notification_ids.res_partner_id.filtered("partner_share")
            self.assertEqual(told, message.partner_ids)
            return message.partner_ids

        self.statement_a._send()
        self.assertEqual(mailed(self.statement_a), self.cust_a)
        self.assertTrue(self.cust_a._is_support_request_reader())
        invoicing = self._contact(
            self.cust_a, "Ingrid Faktura", type="invoice", email="faktura@a.example.com"
        )
        statement = self.env["support.statement"]._issue(
            self.cust_a, self.statement_a.date, self.company
        )
        statement._send()
        self.assertEqual(mailed(statement), invoicing)
        self.assertTrue(invoicing._is_support_request_reader())
        self.assertFalse(self.cust_a._is_support_request_reader())

    def test_issued_statement_shows_once_sent(self):
        self._login(self.portal_key_a)
        self.assertEqual(self.statement_a.state, "issued")
        response = self._get("/my/support/statements")
        self.assertNotIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}")
        self.assertEqual(response.status_code, 403)
        self.assertNotEqual(response.content, self.statement_a.attachment_id.raw)
        self.statement_a._send()
        response = self._get("/my/support/statements")
        self.assertIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.statement_a.attachment_id.raw)

    def test_download_link(self):
        """The download button's link answers the PDF to its customer and to the statement's
        managers and accountants, and nothing to another customer (403), to a visitor (asked
        to log in) or for a statement that does not exist (404)."""
        self.statement_a._send()
        manager = self._user(
            "sp_statement_manager",
            "support_contract.group_support_manager",
            password="sp_statement_manager-pw",
        )
        accountant = self._user(
            "sp_statement_accountant",
            "account.group_account_invoice",
            password="sp_statement_accountant-pw",
        )
        for user in (manager, accountant, self.portal_key_a):
            action = self.statement_a.with_user(user).action_download()
            self._login(user)
            response = self._get(action["url"])
            self.assertEqual(response.status_code, 200, user.login)
            self.assertEqual(response.content, self.statement_a.attachment_id.raw, user.login)
            self.assertIn("attachment", response.headers.get("Content-Disposition", ""))
        with self.assertRaises(AccessError):
            self.statement_a.with_user(self.portal_user_b).action_download()
        self._login(self.portal_user_b)
        response = self._get(f"/my/support/statements/{self.statement_a.id}?download=1")
        self.assertEqual(response.status_code, 403)
        self.assertNotEqual(response.content, self.statement_a.attachment_id.raw)
        missing = self.statement_b.id + 1000
        self.assertFalse(self.env["support.statement"].browse(missing).exists())
        response = self._get(f"/my/support/statements/{missing}?download=1")
        self.assertEqual(response.status_code, 404)
        # A visitor: asked to log in, then sent back to the PDF; with the record's token, the PDF.
        self.logout()
        url = f"/my/support/statements/{self.statement_a.id}?download=1"
        response = self._get(url)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.assertNotEqual(response.content, self.statement_a.attachment_id.raw)
        response = self._get(f"{url}&access_token=wrong")
        self.assertEqual(response.status_code, 403)
        token = self.statement_a.sudo()._portal_ensure_token()
        response = self._get(f"{url}&access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.statement_a.attachment_id.raw)
        self.assertEqual(self.statement_a.state, "sent")

    def test_other_customer_refused(self):
        self._login(self.portal_user_a)
        response = self._get(f"/my/support/statements/{self.statement_b.id}")
        self.assertEqual(response.status_code, 403)
        self.assertNotEqual(response.content, self.statement_b.attachment_id.raw)
        with self.assertRaises(AccessError):
            self.statement_b.with_user(self.portal_user_a).read(["name"])
        with self.assertRaises(AccessError):
            self.statement_b.attachment_id.with_user(self.portal_user_a).read(["raw"])
        with self.assertRaises(AccessError):
            self.statement_a.with_user(self.portal_user_a).action_reissue()

    def test_packs_page_shows_usage_chart(self):
        self._login(self.portal_user_b)
        response = self._get("/my/support/packs")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_support_pack_chart", response.text)
        self.assertIn("<svg", response.text)
