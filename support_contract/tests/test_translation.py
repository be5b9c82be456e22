from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.support_contract.tests.translation import assert_translation_complete


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    def _patch_customer(self, name, contact_name):
        """A contact of a new customer under a patch agreement in force since 2020."""
        customer = self.env["res.partner"].create({"name": name, "is_company": True})
        contact = self.env["res.partner"].create({"name": contact_name, "parent_id": customer.id})
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": self.env.ref("support_contract.agreement_type_patch").id,
                "date_start": "2020-01-01",
            }
        )
        agreement.action_activate()
        return contact, agreement

    def test_swedish_complete(self):
        assert_translation_complete(self, "support_contract")

    def test_reason_in_swedish(self):
        """The decision speaks the reader's language (sv_SE is loaded in the test database)."""
        if not self.env["res.lang"]._lang_get("sv_SE"):
            self.skipTest("Swedish is not installed")
        contact, _agreement = self._patch_customer("Språk AB", "Sven")
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

    def test_reason_in_the_readers_language(self):
        """The decision stores facts; each reader reads the sentence in their own language,
        whoever triggered the decision."""
        consultants = {
            lang: new_test_user(
                self.env,
                login=f"reason_{lang}",
                groups="support_contract.group_support_user",
                lang=lang,
                tz=self.env.user.tz,
            )
            for lang in ("sv_SE", "en_US")
        }
        contact, agreement = self._patch_customer("Läsare AB", "Lisa")

        def read_as(ticket, user):
            return ticket.with_user(user).with_context(lang=user.lang).coverage_reason

        # The Swedish consultant registers the request: nothing stored is in Swedish.
        swede = consultants["sv_SE"]
        ticket = (
            self.env["support.ticket"]
            .with_user(swede)
            .with_context(lang="sv_SE")
            .create(
                {
                    "name": "Nätverket",
                    "partner_id": contact.id,
                    "category_id": self.env.ref("support_contract.category_tech_env").id,
                    "request_date": "2024-05-02",
                }
            )
        )
        self.assertEqual(ticket.coverage_cause, "included")
        self.assertEqual(ticket.coverage_deciding_agreement_id, agreement)
        swedish = read_as(ticket, swede)
        english = read_as(ticket, consultants["en_US"])
        self.assertIn("Täckt", swedish)
        self.assertIn("Teknisk support för servermiljön", swedish)
        self.assertIn("Serverpatchavtal", swedish)
        self.assertEqual(
            english,
            f"Covered: “Technical support for the server environment” is included in Server "
            f"Patch Agreement {agreement.name}.",
        )
        # A change by the English consultant re-decides: the Swede still reads Swedish.
        ticket.with_user(consultants["en_US"]).category_id = self.env.ref(
            "support_contract.category_licenses"
        )
        self.assertEqual(ticket.coverage_cause, "separate")
        self.assertIn("Licenser", read_as(ticket, swede))
        self.assertIn("always charged separately", read_as(ticket, consultants["en_US"]))
