from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SupportTimesheetFixtureMixin


@tagged("post_install", "-at_install")
class TestStatementDownload(SupportTimesheetFixtureMixin, HttpCase):
    """The backend's *Download PDF* opens the statement's own address, which answers the stored
    PDF to those who read the statement (support_timesheet alone, without the portal addon)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_support_basics()
        customer = cls.env["res.partner"].create({"name": "Nedladdning AB", "is_company": True})
        cls.statement = cls.env["support.statement"]._issue(
            customer, cls.today.replace(day=1), cls.company
        )
        cls.manager = cls._user("st_dl_manager", "support_contract.group_support_manager")
        cls.accountant = cls._user("st_dl_accountant", "account.group_account_invoice")
        cls.consultant = cls._user("st_dl_consultant", "support_contract.group_support_user")

    def _get(self, user, url):
        self.authenticate(user.login, user.login)
        return self.url_open(url, allow_redirects=False)

    def test_download_answers_the_pdf_to_its_readers_only(self):
        pdf = self.statement.attachment_id.raw
        self.assertTrue(pdf)
        for user in (self.manager, self.accountant):
            action = self.statement.with_user(user).action_download()
            self.assertEqual(
                action["url"], f"/my/support/statements/{self.statement.id}?download=1"
            )
            response = self._get(user, action["url"])
            self.assertEqual(response.status_code, 200, user.login)
            self.assertEqual(response.content, pdf, user.login)
            self.assertIn("attachment", response.headers["Content-Disposition"], user.login)
        with self.assertRaises(AccessError):
            self.statement.with_user(self.consultant).action_download()
        response = self._get(
            self.consultant, f"/my/support/statements/{self.statement.id}?download=1"
        )
        self.assertEqual(response.status_code, 403)
        self.assertNotEqual(response.content, pdf)
        self.assertEqual(self.statement.state, "issued")
