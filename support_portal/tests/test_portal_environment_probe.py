import re

from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalEnvironmentProbe(SupportPortalFixture, HttpCase):
    """The support team creates environments of two customers, the monthly jobs run twice (as
    the scheduler runs them), then each customer's contacts read the portal over HTTP: a Key
    User sees their company's environments, each patch once; an ordinary contact and the other
    customer see none of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.cust_c = cls._customer("Sond Kund C AB")
        cls.key_c = cls._contact(cls.cust_c, "Cilla Nyckel", email="cilla@c.example.com")
        cls.user_c = cls._contact(cls.cust_c, "Curt Vanlig", email="curt@c.example.com")
        cls.portal_key_c = cls._portal_user("sp_probe_key_c", cls.key_c)
        cls.portal_user_c = cls._portal_user("sp_probe_user_c", cls.user_c)
        cls.agr_c_patch = cls._agreement(cls.cust_c, cls.type_patch, cls.key_c)
        # The support team registers the environments (a Support User, not the superuser).
        consultant = cls._user("sp_probe_consultant", "support_contract.group_support_user")
        Environment = cls.env["support.environment"].with_user(consultant)
        window = {"maintenance_weekday": "6", "maintenance_hour_from": 22.0}
        cls.a_prod = Environment.create(
            {
                "partner_id": cls.cust_a.id,
                "name": "erp.sond-a.example.com",
                "agreement_ids": [(6, 0, (cls.agr_a_patch | cls.agr_a_maint).ids)],
                **window,
            }
        )
        cls.a_staging = Environment.create(
            {
                "partner_id": cls.cust_a.id,
                "name": "staging.sond-a.example.com",
                "environment_type": "staging",
                "agreement_ids": [(6, 0, cls.agr_a_patch.ids)],
                **window,
            }
        )
        cls.c_prod = Environment.create(
            {
                "partner_id": cls.cust_c.id,
                "name": "erp.sond-c.example.com",
                "agreement_ids": [(6, 0, cls.agr_c_patch.ids)],
                **window,
            }
        )
        # The patch agreement of C bills per environment (fee lines), from this month on.
        cls.agr_c_patch.write(
            {
                "fee_date_from": cls.today.replace(day=1),
                "fee_line_ids": [
                    (5, 0, 0),
                    (0, 0, {"environment_id": cls.c_prod.id, "price_unit": 495.0}),
                    (0, 0, {"name": "Backups", "price_unit": 100.0}),
                ],
            }
        )
        (cls.agr_a_patch | cls.agr_a_maint).fee_date_from = cls.today.replace(day=1)

    def _run_job(self, xmlid):
        """The scheduled action as the scheduler runs it: its server action as its user."""
        cron = self.env.ref(xmlid)
        cron.ir_actions_server_id.with_user(cron.user_id).run()

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _text(self, response):
        return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())

    def _refused(self, response):
        if response.status_code in (301, 302, 303):
            return response.headers.get("Location", "").endswith("/my")
        return response.status_code in (403, 404)

    def test_two_runs_then_each_customer_reads_the_portal(self):
        Ticket = self.env["support.ticket"]
        ours = self.agr_a_patch | self.agr_a_maint | self.agr_c_patch
        patch_domain = [("patch_agreement_id", "in", ours.ids)]
        before = Ticket.search(patch_domain)
        for _run in range(2):
            self._run_job("support_contract.ir_cron_create_patch_tickets")
            self._run_job("support_timesheet.ir_cron_invoice_monthly_fees")
        tickets = Ticket.search(patch_domain) - before
        per_env = {
            env: tickets.filtered(lambda t, e=env: t.environment_id == e)
            for env in (
                self.a_prod,
                self.a_staging,
                self.c_prod,
            )
        }
        # One per environment and covering agreement, whatever the number of runs.
        self.assertEqual(len(per_env[self.a_prod]), 2, "patch + maintenance")
        self.assertEqual(
            per_env[self.a_prod].patch_agreement_id, self.agr_a_patch | self.agr_a_maint
        )
        self.assertEqual(len(per_env[self.a_staging]), 1)
        self.assertEqual(len(per_env[self.c_prod]), 1)
        self.assertEqual(
            tickets, per_env[self.a_prod] | per_env[self.a_staging] | per_env[self.c_prod]
        )
        planned = self.env.ref("support_portal.mt_patch_planned")
        for ticket in tickets:
            self.assertTrue(ticket.planned_date_start, ticket.name)
            notices = ticket.message_ids.filtered(lambda m: m.subtype_id == planned)
            self.assertEqual(len(notices), 1, f"{ticket.name}: one notice, not one per run")
        # C's fee: one draft invoice line per fee line, once.
        fee_lines = self.env["account.move.line"].search(
            [("support_fee_period_ids.agreement_id", "=", self.agr_c_patch.id)]
        )
        self.assertEqual(len(fee_lines), 2)
        self.assertEqual(sorted(fee_lines.mapped("price_unit")), [100.0, 495.0])
        self.assertIn("erp.sond-c.example.com", " ".join(fee_lines.mapped("name")))

        a_envs = self.a_prod | self.a_staging
        mine = {
            self.portal_key_a: a_envs,
            self.portal_user_a: self.env["support.environment"],
            self.portal_key_c: self.c_prod,
            self.portal_user_c: self.env["support.environment"],
            self.portal_user_b: self.env["support.environment"],
        }
        everyone = a_envs | self.c_prod
        for user, visible in mine.items():
            with self.subTest(user=user.login):
                self._login(user)
                listing = self._get("/my/support/environments")
                self.assertEqual(listing.status_code, 200)
                text = self._text(listing)
                for environment in everyone:
                    self.assertEqual(environment.name in text, environment in visible)
                if not visible:
                    self.assertIn("you are not one of its Key Users", text)
                for environment in everyone:
                    page = self._get(f"/my/support/environments/{environment.id}")
                    if environment not in visible:
                        self.assertTrue(self._refused(page), environment.name)
                        self.assertNotIn(environment.name, page.text)
                        continue
                    self.assertEqual(page.status_code, 200)
                    page_text = self._text(page)
                    self.assertIn("Next patch:", page_text)
                    for ticket in per_env[environment]:
                        self.assertIn(ticket.number, page_text)
                    rows = page.text.count("o_support_environment_ticket")
                    self.assertEqual(rows, len(per_env[environment]), "each patch once")
                # The patch tickets: the Key User of their customer reads them, nobody else.
                listing = self._text(self._get("/my/support/tickets"))
                for ticket in tickets:
                    readable = ticket.environment_id in visible
                    self.assertEqual(ticket.number in listing, readable, ticket.name)
                    page = self._get(f"/my/support/tickets/{ticket.id}")
                    if readable:
                        self.assertEqual(page.status_code, 200, ticket.name)
                    else:
                        self.assertTrue(self._refused(page), ticket.name)
