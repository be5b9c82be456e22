from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalStatements(SupportPortalFixture, HttpCase):
    """Statements in the portal: each customer's contacts see their own only."""

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
        self._login(self.portal_user_a)
        response = self._get("/my/support/statements")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/my/support/statements/{self.statement_a.id}", response.text)
        self.assertNotIn(f"/my/support/statements/{self.statement_b.id}", response.text)
        response = self._get(f"/my/support/statements/{self.statement_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, self.statement_a.attachment_id.raw)
        self.assertIn(b"Fix the data", response.content)
        self.assertNotIn(b"B's bug", response.content)

    def test_other_customer_refused(self):
        self._login(self.portal_user_a)
        response = self._get(f"/my/support/statements/{self.statement_b.id}")
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/my"))
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
