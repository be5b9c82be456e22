from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalTour(SupportPortalFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        # The demo data holds a `portal2` user; without demo data the test makes its own.
        cls.portal2 = cls.env["res.users"].search([("login", "=", "portal2")])
        if not cls.portal2:
            contact = cls.env["res.partner"].create(
                {"name": "Petra Portal", "parent_id": cls.cust_b.id, "email": "p@b.example.com"}
            )
            cls.portal2 = cls._user(
                "portal2",
                "base.group_portal",
                name=contact.name,
                password="portal2",
                partner_id=contact.id,
            )

    def test_new_billable_request_tour(self):
        # The tour picks the first category: On-Demand customers pay for all of them.
        Ticket = self.env["support.ticket"]
        self.start_tour("/my/support/tickets/new", "support_portal_new_billable", login="portal2")
        ticket = Ticket.search([("name", "=", "Tour: printer driver keeps failing")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.portal2.partner_id)
        self.assertEqual(ticket.coverage, "billable")
        self.assertTrue(ticket.charge_accepted)
        self.assertEqual(ticket.charge_accepted_by_id, self.portal2.partner_id)

    def test_new_request_with_attachment_tour(self):
        Ticket = self.env["support.ticket"]
        # Odoo's upload limit, low enough for the tour's "huge" file (2000 bytes).
        self.env["ir.config_parameter"].set_param("web.max_file_upload_size", 1000)
        count = self.env["ir.attachment"].search_count([("name", "=", "huge.log")])
        self.start_tour(
            "/my/support/tickets/new", "support_portal_new_with_attachment", login="portal2"
        )
        ticket = Ticket.search([("name", "=", "Tour: scanner stopped sending invoices")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.portal2.partner_id)
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.intake_channel, "portal")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(attachment.name, "scanner-log.txt")
        self.assertEqual(attachment.raw, b"scan failed: timeout")
        self.assertEqual(ticket._portal_visible_attachments(), attachment)
        self.assertEqual(self.env["ir.attachment"].search_count([("name", "=", "huge.log")]), count)
