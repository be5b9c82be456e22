import datetime
import re

from odoo import http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalEnvironments(SupportPortalFixture, HttpCase):
    """Environments in the portal: Key Users of the customer only, over HTTP and over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.env.ref("base.lang_sv_SE").active = True
        cls.cust_c = cls._customer("Portal Kund C AB")
        cls.key_c = cls._contact(cls.cust_c, "Cecilia Nyckel", email="cecilia@c.example.com")
        cls.portal_key_c = cls._portal_user("sp_key_c", cls.key_c)
        cls.agr_c_patch = cls._agreement(cls.cust_c, cls.type_patch)
        cls.agr_c_maint = cls._agreement(cls.cust_c, cls.type_maintenance, cls.key_c)
        Environment = cls.env["support.environment"]
        cls.env_a = Environment.create(
            {
                "partner_id": cls.cust_a.id,
                "name": "erp-a.example.com",
                "environment_type": "production",
                "odoo_version": "18.0",
                "agreement_ids": [(6, 0, (cls.agr_a_patch | cls.agr_a_maint).ids)],
                "maintenance_weekday": "6",
                "maintenance_hour_from": 22.0,
                "maintenance_hour_to": 23.5,
                "tz": "Europe/Stockholm",
            }
        )
        cls.env_c = Environment.create(
            {
                "partner_id": cls.cust_c.id,
                "name": "erp-c.example.com",
                "agreement_ids": [(6, 0, cls.agr_c_maint.ids)],
            }
        )
        cls.patch_a = cls.env["support.patch.record"].create(
            {
                "environment_id": cls.env_a.id,
                "date": cls.today,
                "patch_type": "infrastructure",
                "version_before": "kernel-6.8.0-45",
                "version_after": "kernel-6.8.0-49",
                "result": "rolled_back",
                "downtime_minutes": 17,
            }
        )
        cls.patch_c = cls.env["support.patch.record"].create(
            {"environment_id": cls.env_c.id, "patch_type": "odoo_source", "result": "done"}
        )
        cls.ticket_key_a.write(
            {
                "environment_id": cls.env_a.id,
                "upstream_bug_url": "https://github.com/odoo/odoo/issues/424242",
                "upstream_bug_state": "confirmed",
            }
        )

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _assert_refused(self, response, msg):
        if response.status_code in (301, 302, 303):
            self.assertTrue(response.headers.get("Location", "").endswith("/my"), msg)
        else:
            self.assertIn(response.status_code, (403, 404), msg)

    def test_http_isolation(self):
        """Who sees which environment page: one row per (user, environment)."""
        cases = [
            (self.portal_key_a, self.env_a, True, "Key User of A sees A's environment"),
            (self.portal_key_a, self.env_c, False, "Key User of A: not C's"),
            (self.portal_user_a, self.env_a, False, "A's other contact: not even A's"),
            (self.portal_user_b, self.env_a, False, "another customer's contact"),
            (self.portal_key_c, self.env_a, False, "another customer's Key User"),
            (self.portal_key_c, self.env_c, True, "Key User of C sees C's"),
        ]
        for user, environment, allowed, why in cases:
            with self.subTest(why):
                self._login(user)
                listing = self._get("/my/support/environments")
                self.assertEqual(listing.status_code, 200, why)
                self.assertEqual(environment.name in listing.text, allowed, why)
                page = self._get(f"/my/support/environments/{environment.id}")
                if allowed:
                    self.assertEqual(page.status_code, 200, why)
                    self.assertIn(environment.name, page.text, why)
                else:
                    self._assert_refused(page, why)

    def test_http_pages_show_patches_and_requests(self):
        self._login(self.portal_key_a)
        listing = self._get("/my/support/environments").text
        self.assertIn("Rolled back", listing, "the last patch and its result")
        self.assertIn("Sunday 22:00-23:30 (Europe/Stockholm)", listing)
        page = self._get(f"/my/support/environments/{self.env_a.id}").text
        for text in ("kernel-6.8.0-45", "kernel-6.8.0-49", ">17<", self.ticket_key_a.number):
            self.assertIn(text, page)
        self.assertNotIn(self.ticket_b.number, page)
        nav = self._get("/my/support/tickets").text
        self.assertIn('href="/my/support/environments"', nav)
        ticket_page = self._get(f"/my/support/tickets/{self.ticket_key_a.id}").text
        self.assertIn("https://github.com/odoo/odoo/issues/424242", ticket_page)
        self.assertIn("Confirmed", ticket_page)
        self.assertIn(f"/my/support/environments/{self.env_a.id}", ticket_page)
        # The ordinary contact has no environments link.
        self._login(self.portal_user_a)
        self.assertNotIn('href="/my/support/environments"', self._get("/my/support/tickets").text)

    def test_rpc_isolation(self):
        """The same rules over the ORM as a portal user reaches it (XML-RPC, JSON-RPC)."""
        cases = [
            (self.portal_key_a, self.env_a, self.patch_a, "Key User of A"),
            (self.portal_user_a, None, None, "A's other contact"),
            (self.portal_user_b, None, None, "another customer's contact"),
            (self.portal_key_c, self.env_c, self.patch_c, "Key User of C"),
        ]
        for user, environment, patch, why in cases:
            with self.subTest(why):
                Environment = self.env["support.environment"].with_user(user)
                Patch = self.env["support.patch.record"].with_user(user)
                self.assertEqual(Environment.search([]), environment or Environment, why)
                self.assertEqual(Patch.search([]), patch or Patch, why)
                for other in (self.env_a | self.env_c) - (environment or Environment):
                    with self.assertRaises(AccessError, msg=why):
                        other.with_user(user).read(["name"])
                for other in (self.patch_a | self.patch_c) - (patch or Patch):
                    with self.assertRaises(AccessError, msg=why):
                        other.with_user(user).read(["version_after"])
        with self.assertRaises(AccessError):
            self.env_a.with_user(self.portal_key_a).write({"name": "hacked"})
        with self.assertRaises(AccessError):
            self.patch_a.with_user(self.portal_key_a).write({"downtime_minutes": 0})
        self.assertEqual(self.env_a.name, "erp-a.example.com")
        self.assertEqual(self.patch_a.downtime_minutes, 17)

    def test_new_request_with_environment(self):
        Ticket = self.env["support.ticket"]
        self._login(self.portal_key_a)
        form = self._get("/my/support/tickets/new").text
        self.assertIn(self.env_a.name, form)
        self.assertNotIn(self.env_c.name, form)
        data = {
            "category_id": self.cat_bug_fix.id,
            "name": "Produktionen står still",
            "description": "Inget fungerar",
            "priority": "0",
            "environment_id": self.env_a.id,
            "charge_accepted": "1",
            "csrf_token": http.Request.csrf_token(self),
        }
        response = self.url_open("/my/support/tickets/new", data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        ticket = Ticket.search([("name", "=", "Produktionen står still")])
        self.assertEqual(ticket.environment_id, self.env_a)
        self.assertEqual(ticket.priority, "1", "production raises the default priority")
        # Another customer's environment, or one the contact may not see: refused, nothing made.
        for user, environment in (
            (self.portal_key_a, self.env_c),
            (self.portal_user_a, self.env_a),
        ):
            self._login(user)
            data = dict(
                data,
                name=f"Fel {user.login}",
                environment_id=environment.id,
                csrf_token=http.Request.csrf_token(self),
            )
            response = self.url_open("/my/support/tickets/new", data=data, allow_redirects=False)
            self.assertEqual(response.status_code, 200)
            self.assertIn("Please choose one of your environments.", response.text)
            self.assertFalse(Ticket.search([("name", "=", f"Fel {user.login}")]))

    def test_patch_notices_in_key_users_language(self):
        """Before the window and after the patch, each Key User in their language."""
        self.key_a.lang = "sv_SE"
        self.agr_a_maint.key_user_ids = [(4, self.user_a.id)]
        self.user_a.lang = "en_US"
        day = datetime.date(2026, 12, 1)
        Agreement = self.env["support.agreement"]
        tickets = Agreement._cron_create_patch_tickets(day)
        self.assertFalse(Agreement._cron_create_patch_tickets(day), "run twice: nothing new")
        source = tickets.filtered(
            lambda t: t.environment_id == self.env_a and t.patch_type == "odoo_source"
        )
        self.assertEqual(len(source), 1)
        planned = source.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("support_portal.mt_patch_planned")
        )
        self.assertEqual(len(planned), 2, "one message per language")
        by_partner = {m.partner_ids: m for m in planned}
        english = by_partner[self.user_a].body
        swedish = by_partner[self.key_a].body
        self.assertIn("is planned for", english)
        self.assertIn("Sunday 22:00-23:30", english)
        self.assertIn("12/06/2026 22:00", english, "Stockholm time of the window's start")
        self.assertIn("är planerad", swedish)
        self.assertIn("söndag 22:00–23:30", swedish)
        # After: the consultant records the patch and resolves the ticket.
        source.write(
            {
                "patch_record_ids": [
                    (
                        0,
                        0,
                        {
                            "environment_id": self.env_a.id,
                            "patch_type": "odoo_source",
                            "version_before": "18.0-20261101",
                            "version_after": "18.0-20261201",
                            "result": "done",
                            "downtime_minutes": 8,
                        },
                    )
                ],
            }
        )
        source.write({"stage_id": self.stage_resolved.id, "outcome": "other"})
        done = source.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("support_portal.mt_patch_done")
        )
        self.assertEqual(len(done), 2)
        by_partner = {m.partner_ids: m for m in done}
        self.assertIn(
            "from 18.0-20261101 to 18.0-20261201, 8 minutes", by_partner[self.user_a].body
        )
        self.assertIn("18.0-20261201", by_partner[self.key_a].body)
        self.assertIn("driftstopp", by_partner[self.key_a].body)

    def test_http_covered_work_worth(self):
        """The environment page tells a Key User what the covered work of the month is worth,
        the statement's own figure; other contacts and customers are refused the page."""
        ticket = self.ticket_key_a
        self.assertEqual(ticket.coverage, "covered")
        ticket._support_invoice_product().lst_price = 1450.0
        self._log(ticket, 4.5)
        month_start = self.today.replace(day=1)
        statement = (
            self.env["support.statement"]
            .sudo()
            .create(
                {"partner_id": self.cust_a.id, "company_id": self.company.id, "date": month_start}
            )
        )
        rows = statement._statement_values()["environments"]
        self.assertEqual([row["environment"] for row in rows], [self.env_a])
        self.assertEqual(rows[0]["value"], 6525.0, "4.5 h at the customer's 1,450 an hour")
        self._login(self.portal_key_a)
        page = self._get(f"/my/support/environments/{self.env_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("What your agreements delivered", page.text)
        self.assertIn("covered work worth $ 6,525.00", self._plain(page.text))
        self.assertIn("04:30", page.text)
        for user, why in (
            (self.portal_user_a, "A's other contact"),
            (self.portal_user_b, "another customer's contact"),
            (self.portal_key_c, "another customer's Key User"),
        ):
            with self.subTest(why):
                self._login(user)
                page = self._get(f"/my/support/environments/{self.env_a.id}")
                self._assert_refused(page, why)
                self.assertNotIn("6,525.00", page.text, why)

    def test_http_fees_and_agreements_of_today(self):
        """The environment page names the agreements covering it today and its fee lines
        running today, by the in-force rules of the patch job and the fee run: an ended
        agreement, its line and a retired line are not shown; nobody else reads the fees."""
        FeeLine = self.env["support.agreement.fee.line"]
        yesterday = self.today - datetime.timedelta(days=1)
        FeeLine.create(
            {
                "agreement_id": self.agr_a_patch.id,
                "environment_id": self.env_a.id,
                "name": "Production server",
                "price_unit": 495.0,
            }
        )
        FeeLine.create(
            {
                "agreement_id": self.agr_a_patch.id,
                "environment_id": self.env_a.id,
                "name": "Retired backup server",
                "price_unit": 150.0,
                "date_end": yesterday,
            }
        )
        ended = self._agreement(self.cust_a, self.type_patch, date_end=yesterday)
        FeeLine.create(
            {
                "agreement_id": ended.id,
                "environment_id": self.env_a.id,
                "name": "Old hosting",
                "price_unit": 777.0,
            }
        )
        self.env_a.agreement_ids = [(4, ended.id)]
        self.assertEqual(ended.state, "active")
        self.assertFalse(ended.is_in_force)
        self._login(self.portal_key_a)
        page = self._get(f"/my/support/environments/{self.env_a.id}")
        self.assertEqual(page.status_code, 200)
        text = self._plain(page.text)
        covering = self._plain(re.search(r'o_support_covering">(.*?)</div>', page.text).group(1))
        self.assertIn(self.agr_a_patch.name, covering)
        self.assertIn(self.agr_a_maint.name, covering)
        self.assertNotIn(ended.name, covering, "an ended agreement covers nothing today")
        self.assertIn("Monthly fees for this environment", text)
        self.assertEqual(page.text.count("o_support_fee_line"), 1, "one line runs today")
        self.assertIn("erp-a.example.com (Production), Production server", text)
        self.assertIn("$ 495.00", text)
        for gone in ("Retired backup server", "Old hosting", "150.00", "777.00"):
            self.assertNotIn(gone, text)
        for user, why in (
            (self.portal_user_a, "A's other contact"),
            (self.portal_key_c, "another customer's Key User"),
        ):
            with self.subTest(why):
                self._login(user)
                page = self._get(f"/my/support/environments/{self.env_a.id}")
                self._assert_refused(page, why)
                self.assertNotIn("495.00", page.text, why)

    def test_http_lapsed_prerequisite_covers_nothing(self):
        """A maintenance agreement whose patch agreement ended is not named as covering the
        environment nor its fee line shown, as the patch job opens no ticket for it."""
        self.env["support.agreement.fee.line"].create(
            {
                "agreement_id": self.agr_c_maint.id,
                "environment_id": self.env_c.id,
                "name": "Odoo code",
                "price_unit": 888.0,
            }
        )
        self._login(self.portal_key_c)
        page = self._get(f"/my/support/environments/{self.env_c.id}").text
        self.assertIn(self.agr_c_maint.name, page)
        self.assertIn("888.00", page)
        self.agr_c_patch.date_end = self.today - datetime.timedelta(days=1)
        self.assertTrue(self.agr_c_maint.is_in_force)
        self.assertFalse(self.agr_c_maint._is_prerequisite_met())
        self.assertFalse(
            self.env["support.agreement"]
            ._cron_create_patch_tickets()
            .filtered(lambda ticket: ticket.environment_id == self.env_c),
            "the patch job opens nothing for the lapsed agreement",
        )
        page = self._get(f"/my/support/environments/{self.env_c.id}")
        self.assertEqual(page.status_code, 200, "the Key User still reads the environment")
        covering = self._plain(re.search(r'o_support_covering">(.*?)</div>', page.text).group(1))
        self.assertEqual(covering, "Covered by: -")
        self.assertNotIn("888.00", page.text)
        self.assertNotIn("o_support_fee_line", page.text)

    def _plain(self, html):
        """The page's text without tags, spaces collapsed."""
        text = re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", "\xa0")
        return " ".join(text.split())
