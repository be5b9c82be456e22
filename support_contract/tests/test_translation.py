from odoo.tests import TransactionCase, tagged

from odoo.addons.support_contract.tests.translation import assert_translation_complete


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    def test_swedish_complete(self):
        assert_translation_complete(self, "support_contract")

    def test_reason_in_swedish(self):
        """The decision speaks the reader's language (sv_SE is loaded in the test database)."""
        if not self.env["res.lang"]._lang_get("sv_SE"):
            self.skipTest("Swedish is not installed")
        customer = self.env["res.partner"].create({"name": "Språk AB", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Sven", "parent_id": customer.id})
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": self.env.ref("support_contract.agreement_type_patch").id,
                "date_start": "2020-01-01",
            }
        )
        agreement.action_activate()
        values = {
            "partner_id": contact.id,
            "category_id": self.env.ref("support_contract.category_tech_env").id,
            "request_date": "2024-05-02",
            "outcome": False,
            "company_id": self.env.company.id,
        }
        Ticket = self.env["support.ticket"].with_context(lang="sv_SE")
        decision = Ticket._decide_coverage([values])[0]
        self.assertEqual(decision["coverage"], "covered")
        self.assertIn("Täckt", decision["reason"])
        self.assertIn("Teknisk support för servermiljön", decision["reason"])
        self.assertIn("Serverpatchavtal", decision["reason"])
