from odoo import http
from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestDeskRoutes(SupportPortalFixture, HttpCase):
    """The desk's portal routes: new request with files, close and reopen, follow all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.stage_resolved = cls.env.ref("support_contract.stage_resolved")

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _post(self, url, data, files=None):
        return self.url_open(
            url,
            data=dict(data, csrf_token=http.Request.csrf_token(self)),
            files=files,
            allow_redirects=False,
        )

    def test_new_request_with_a_refused_file(self):
        self._login(self.portal_user_b)
        count = self.env["support.ticket"].search_count([])
        response = self._post(
            "/my/support/tickets/new",
            {
                "category_id": self.cat_bug_fix.id,
                "name": "Med bilaga",
                "charge_accepted": "1",
                "priority": "1",
            },
            files=[("attachments", ("setup.exe", b"MZ", "application/octet-stream"))],
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("setup.exe was refused", response.text)
        self.assertEqual(self.env["support.ticket"].search_count([]), count)
        response = self._post(
            "/my/support/tickets/new",
            {"category_id": self.cat_bug_fix.id, "name": "Med bilaga", "charge_accepted": "1"},
            files=[("attachments", ("logg.txt", b"ERROR", "text/plain"))],
        )
        self.assertEqual(response.status_code, 303)
        ticket = self.env["support.ticket"].search([("name", "=", "Med bilaga")])
        self.assertEqual(ticket._portal_visible_attachments().mapped("name"), ["logg.txt"])
        page = self.url_open(f"/my/support/tickets/{ticket.id}")
        self.assertIn("logg.txt", page.text)
        self.assertIn("o_support_close", page.text)

    def test_close_and_reopen_routes(self):
        ticket = self.ticket_key_a
        self._login(self.portal_user_b)
        response = self._post(f"/my/support/tickets/{ticket.id}/close", {})
        self.assertTrue(response.headers.get("Location", "").endswith("/my"))
        self.assertFalse(ticket.is_closed)
        self._login(self.portal_key_a)
        self._post(f"/my/support/tickets/{ticket.id}/close", {})
        self.assertTrue(ticket.is_closed)
        page = self.url_open(f"/my/support/tickets/{ticket.id}")
        self.assertIn("o_support_reopen", page.text)
        self._post(f"/my/support/tickets/{ticket.id}/reopen", {})
        self.assertFalse(ticket.is_closed)

    def test_follow_all_route(self):
        self._login(self.portal_user_a)
        page = self.url_open("/my/support/tickets")
        self.assertNotIn("o_support_follow_all", page.text)
        self._post("/my/support/follow", {"follow": "1"})
        self.assertFalse(self.user_a.support_follow_all)
        self._login(self.portal_key_a)
        page = self.url_open("/my/support/tickets")
        self.assertIn("o_support_follow_all", page.text)
        self._post("/my/support/follow", {"follow": "1"})
        self.assertTrue(self.key_a.support_follow_all)
        self.assertIn(self.key_a, self.ticket_user_a.message_partner_ids)
