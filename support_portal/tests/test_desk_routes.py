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

    def _upload(self, name, content):
        """The form's upload: Odoo's route, a pending file of the request being written."""
        response = self.url_open(
            "/mail/attachment/upload",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "is_pending": "true",
                "thread_model": "support.ticket",
                "thread_id": "0",
            },
            files={"ufile": (name, content, "application/octet-stream")},
        )
        return response

    def test_new_request_with_uploaded_files(self):
        Attachment = self.env["ir.attachment"]
        Ticket = self.env["support.ticket"]
        self.authenticate(None, None)
        self.assertIn("error", self._upload("anonym.txt", b"x").json(), "signed-in customers only")
        self._login(self.portal_user_b)
        attachments, tickets = Attachment.search_count([]), Ticket.search_count([])
        # Odoo's size check: the portal's pages know Odoo's upload limit (the browser checks
        # it), and Odoo's HTTP layer refuses a larger upload. Programs are refused with a reason.
        self.env["ir.config_parameter"].set_param("web.max_file_upload_size", 1000)
        page = self.url_open("/my/support/tickets/new")
        self.assertIn('"max_file_upload_size": 1000', page.text)
        self.assertEqual(self._upload("stor.log", b"x" * 2000).status_code, 413)
        self.assertIn(
            "setup.exe was refused: files of type .exe are not accepted",
            self._upload("setup.exe", b"MZ").json()["error"],
        )
        self.assertEqual(Attachment.search_count([]), attachments)
        result = self._upload("logg.txt", b"ERROR").json()["data"]
        attachment = Attachment.browse(result["attachment_id"])
        token = next(
            a["ownership_token"]
            for a in result["store_data"]["ir.attachment"]
            if a["id"] == attachment.id
        )
        form = {
            "category_id": self.cat_bug_fix.id,
            "name": "Med bilaga",
            "charge_accepted": "1",
            "attachment_ids": attachment.id,
        }
        # A forged token: the form comes back with the error, nothing created or linked.
        response = self._post("/my/support/tickets/new", dict(form, attachment_tokens="forged"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("do not have the rights to access them", response.text)
        self.assertEqual(Ticket.search_count([]), tickets)
        self.assertEqual(attachment.res_model, "mail.compose.message")
        self.assertFalse(attachment.res_id)
        # With its token: the request has the file.
        response = self._post("/my/support/tickets/new", dict(form, attachment_tokens=token))
        self.assertEqual(response.status_code, 303)
        ticket = Ticket.search([("name", "=", "Med bilaga")])
        self.assertEqual(ticket._portal_visible_attachments(), attachment)
        self.assertEqual(attachment.raw, b"ERROR")
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
