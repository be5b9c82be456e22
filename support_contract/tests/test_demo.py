from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo story decides as told (skipped without demo data)."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("support_contract.ticket_maint_bug", raise_if_not_found=False):
            self.skipTest("no demo data")

    def test_story(self):
        ref = self.env.ref
        company = ref("support_contract.company_cloudworkz")
        self.assertEqual(company.currency_id, ref("base.SEK"))
        self.assertEqual(ref("base.user_admin").company_id, company)
        self.assertEqual(ref("support_contract.user_consultant").login, "consultant")
        cases = {
            "ticket_maint_bug": ("covered", "support_contract.agreement_maint", "is a Key User"),
            "ticket_maint_advice_user_error": ("billable", None, "User error"),
            "ticket_maint_new_report": ("billable", None, "always charged separately"),
            "ticket_patch_vpn": ("covered", "support_contract.agreement_patch", "is included"),
            "ticket_patch_dns": ("billable", None, "is not included"),
            "ticket_ondemand_bug": ("billable", None, "On-Demand Support"),
            "ticket_lapsed_bug": ("billable", None, "prerequisite has lapsed"),
            "ticket_lapsed_old_vm": ("covered", "support_contract.agreement_lapsed_patch", ""),
            "ticket_maint_patch_last_month": ("covered", "support_contract.agreement_maint", ""),
        }
        for xid, (coverage, agreement, phrase) in cases.items():
            ticket = ref(f"support_contract.{xid}")
            with self.subTest(ticket=xid):
                self.assertEqual(ticket.coverage, coverage, ticket.coverage_reason)
                self.assertEqual(ticket.company_id, company)
                if agreement:
                    self.assertEqual(ticket.coverage_agreement_id, ref(agreement))
                self.assertIn(phrase, ticket.coverage_reason)
        override = ref("support_contract.ticket_maint_advice_other")
        self.assertEqual(override.coverage_decided, "billable")
        self.assertEqual(override.coverage, "covered")
        self.assertFalse(ref("support_contract.agreement_lapsed").prerequisite_ok)
        self.assertTrue(ref("support_contract.agreement_maint").prerequisite_ok)
        self.assertEqual(ref("support_contract.pack_ondemand").state, "active")
        self.assertEqual(ref("support_contract.pack_ondemand_expired").state, "expired")

    def test_fees_per_environment(self):
        """The patch agreements bill per environment: one fee line for each environment they
        cover, of their own customer ("from 495 kr/mån" for production, more per environment)."""
        ref = self.env.ref
        cases = {
            "agreement_patch": (
                ("environment_patch_prod", 495.0),
                ("environment_patch_staging", 295.0),
            ),
            "agreement_maint_patch": (
                ("environment_maint_prod", 695.0),
                ("environment_maint_staging", 300.0),
            ),
        }
        for xid, lines in cases.items():
            agreement = ref(f"support_contract.{xid}")
            with self.subTest(agreement=xid):
                environments = self.env["support.environment"].browse(
                    [ref(f"support_contract.{env_xid}").id for env_xid, _price in lines]
                )
                self.assertEqual(agreement.environment_ids, environments)
                self.assertEqual(environments.partner_id, agreement.partner_id)
                self.assertEqual(
                    agreement.fee_line_ids.mapped(
                        lambda line: (line.environment_id, line.subtotal)
                    ),
                    [
                        (environment, price)
                        for environment, (_x, price) in zip(environments, lines, strict=True)
                    ],
                )
                self.assertEqual(agreement.monthly_fee, sum(price for _x, price in lines))
                self.assertEqual(
                    set(environments.mapped("environment_type")), {"production", "staging"}
                )
        # The staging environment of the patch customer joined mid-month, two months ago.
        staging_line = ref("support_contract.agreement_patch").fee_line_ids[1]
        self.assertEqual(staging_line.date_start.day, 16)

    def test_email_requests(self):
        """The demo's e-mails went through the mail gateway to the support alias."""
        ref = self.env.ref
        company = ref("support_contract.company_cloudworkz")
        self.assertEqual(company.support_alias_id.alias_full_name, "support@cloudworkz.example.com")
        Ticket = self.env["support.ticket"]
        maja = Ticket.search([("email_from", "ilike", "maja.holm@hamnlogistik")])
        self.assertEqual(maja.partner_id, ref("support_contract.partner_maint_user"))
        self.assertEqual(maja.category_id.code, "db_correction")
        self.assertEqual(maja.coverage, "billable")
        self.assertEqual(maja.message_ids.attachment_ids.mapped("name"), ["saldon.csv"])
        eva = Ticket.search([("email_from", "ilike", "eva.sundberg@norrlandstra")])
        self.assertEqual(eva.name, "Systemet är långsamt i morse")
        self.assertFalse(eva.category_id)
        self.assertIn("Decision pending", eva.coverage_reason)
        lars = Ticket.search([("email_from", "ilike", "lars.ek@nyttbolag")])
        self.assertTrue(lars.is_requester_to_confirm)
        self.assertEqual(lars.coverage, "billable")
        for ticket in maja | eva | lars:
            self.assertEqual(ticket.intake_channel, "email")
            self.assertEqual(ticket.company_id, company)
        # Assigned by the agreement's consultant, else the team queue with its activity.
        self.assertEqual(maja.user_id, ref("support_contract.user_consultant"))
        self.assertEqual(maja.activity_ids.user_id, ref("support_contract.user_consultant"))
        self.assertFalse(eva.user_id)
        self.assertEqual(eva.activity_ids.user_id, ref("base.user_admin"))

    def test_service_levels(self):
        """The demo company counts business hours in Swedish time with the Swedish holidays,
        and its tickets have the policy of their agreement."""
        ref = self.env.ref
        calendar = ref("support_contract.company_cloudworkz").resource_calendar_id
        self.assertEqual(calendar.tz, "Europe/Stockholm")
        year = fields.Date.today().year
        names = set(
            self.env["resource.calendar.leaves"]
            .search(
                [
                    ("calendar_id", "=", calendar.id),
                    ("resource_id", "=", False),
                    ("date_from", ">=", f"{year}-01-01"),
                    ("date_from", "<", f"{year + 2}-01-01"),
                ]
            )
            .mapped(lambda leave: (leave.date_to.year, leave.name))
        )
        # Named in the language of the demo company (Swedish books may speak either).
        for english, swedish in (
            ("Christmas Eve", "Julafton"),
            ("Midsummer Eve", "Midsommarafton"),
        ):
            for when in (year, year + 1):
                self.assertTrue({(when, english), (when, swedish)} & set(names), (when, english))
        self.assertTrue(ref("support_contract.stage_waiting").is_sla_paused)
        maint = ref("support_contract.ticket_maint_bug")
        self.assertEqual(maint.sla_type_id, ref("support_contract.agreement_type_maintenance"))
        self.assertEqual(maint.sla_policy_id.type_id, maint.sla_type_id)
        self.assertTrue(maint.sla_response_deadline)
        ondemand = ref("support_contract.ticket_ondemand_bug")
        self.assertEqual(ondemand.sla_policy_id, ref("support_contract.sla_policy_on_demand"))
