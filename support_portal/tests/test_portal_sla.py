from datetime import datetime

from freezegun import freeze_time
from markupsafe import escape
from pytz import timezone, utc

from odoo import http
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import SupportPortalFixture


def local(text):
    moment = timezone("Europe/Stockholm").localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return moment.astimezone(utc).replace(tzinfo=None)


class PortalSlaFixture(SupportPortalFixture):
    """The portal fixture on a Stockholm calendar with the Swedish holidays of 2027, a
    maintenance policy of 4 h to answer and 16 h to resolve, and a Swedish-speaking Key User."""

    @classmethod
    def _setup_portal_sla(cls):
        cls._setup_portal_fixture()
        cls.env["res.lang"]._activate_lang("sv_SE")
        cls.env["ir.module.module"]._load_module_terms(
            ["support_contract", "support_timesheet", "support_portal"], ["sv_SE"]
        )
        cls.key_a.lang = "sv_SE"
        cls.key_a.tz = "Europe/Stockholm"
        calendar = cls.company.resource_calendar_id.copy({"name": "SLA portal calendar"})
        calendar.tz = "Europe/Stockholm"
        calendar._support_generate_swedish_holidays(2027, 2027)
        cls.company.resource_calendar_id = calendar
        cls.env["support.sla.policy"].create(
            {
                "name": "Maintenance",
                "company_id": cls.company.id,
                "type_id": cls.type_maintenance.id,
                "response_hours": 4,
                "resolution_hours": 16,
            }
        )
        cls.stage_resolved = cls.env.ref("support_contract.stage_resolved")


@tagged("post_install", "-at_install")
class TestPortalSla(PortalSlaFixture, TransactionCase):
    """What the customer is told about the service levels, and the rating request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_sla()

    def _request_at(self, text, user):
        moment = local(text)
        saved = self.env.cr._now
        self.env.cr._now = moment
        try:
            with freeze_time(moment):
                return (
                    self.env["support.ticket"]
                    .with_user(user)
                    ._portal_create_request(
                        {"category_id": self.cat_bug_fix.id, "name": "Rapporten visar fel"}
                    )
                )
        finally:
            self.env.cr._now = saved

    def test_answer_by_in_business_terms(self):
        # Friday 15:00 with 4 business hours to answer: Monday 10:00, in the customer's words.
        with freeze_time(local("2027-03-05 15:00")):
            preview = (
                self.env["support.ticket"]
                .with_user(self.portal_key_a)
                .with_context(lang="en_US")
                ._portal_decide(self.cat_bug_fix)
            )
            self.assertIn("Sent now, it is answered by Monday 10:00", " ".join(preview["lines"]))
        ticket = self._request_at("2027-03-05 15:00", self.portal_key_a)
        self.assertEqual(ticket.sla_response_deadline, local("2027-03-08 10:00"))
        with freeze_time(local("2027-03-05 15:01")):
            text = ticket.with_context(lang="en_US")._support_answer_by_text()
            self.assertEqual(text, "We will answer you by Monday 10:00 (our business hours).")
            swedish = ticket.with_context(lang="sv_SE")._support_answer_by_text()
            self.assertIn("måndag 10:00", swedish)
        ack = ticket.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("support_portal.mt_ticket_received")
        )
        self.assertIn("måndag 10:00", ack.body, "the acknowledgement in the customer's language")
        self.assertFalse(ticket.date_first_response, "the acknowledgement is not an answer")

    def test_rating_requested_on_resolution(self):
        ticket = self._request_at("2027-03-05 15:00", self.portal_key_a)
        ticket.user_id = self.env.ref("base.user_admin")
        Rating = self.env["rating.rating"]
        domain = [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        self.assertFalse(Rating.search(domain))
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        notice = ticket.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("support_portal.mt_ticket_resolved")
        )
        rating = Rating.search(domain)
        self.assertEqual(len(rating), 1, "the resolution notice asks the requester")
        self.assertEqual(rating.partner_id, self.key_a)
        self.assertFalse(rating.consumed)
        self.assertIn(f"/rate/{rating.access_token}/5", notice.body)
        self.assertIn("Hur gick det?", notice.body, "in the customer's language")
        ticket.rating_apply(5, token=rating.access_token, feedback="Snabbt och bra")
        self.assertTrue(rating.consumed)
        self.assertEqual(ticket.rating_last_value, 5)
        self.assertEqual(rating.rated_partner_id, ticket.user_id.partner_id)
        self.assertEqual(rating.parent_res_model, "support.agreement.type")
        self.assertEqual(rating.parent_res_id, self.type_maintenance.id)


@tagged("post_install", "-at_install")
class TestPortalSlaHttp(PortalSlaFixture, HttpCase):
    """The request page over HTTP: the Key User reads by when the team answers (the text the
    notices use), rates the resolved request through Odoo's rating page and sees the rating;
    another customer's contact reads neither."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_sla()

    def test_answer_by_and_rating_over_http(self):
        ticket = (
            self.env["support.ticket"]
            .with_user(self.portal_key_a)
            ._portal_create_request({"category_id": self.cat_bug_fix.id, "name": "Fel i rapport"})
        )
        self.authenticate(self.portal_key_a.login, f"{self.portal_key_a.login}-pw")
        page = self.url_open(f"/my/support/tickets/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        answer_by = ticket.with_context(lang="sv_SE")._support_answer_by_text()
        self.assertTrue(answer_by)
        self.assertIn(str(escape(answer_by)), page.text, "the Key User's language")
        self.assertIn("o_support_resolve_by", page.text)
        # Another customer's contact opens neither the page nor a rating of it.
        self.authenticate(self.portal_user_b.login, f"{self.portal_user_b.login}-pw")
        other = self.url_open(f"/my/support/tickets/{ticket.id}", allow_redirects=False)
        self.assertNotEqual(other.status_code, 200)
        # Resolved: the requester rates through the link of the resolved notice.
        ticket.user_id = self.env.ref("base.user_admin")
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        rating = self.env["rating.rating"].search(
            [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(len(rating), 1)
        self.assertEqual(self.url_open(f"/rate/{rating.access_token}/5").status_code, 200)
        self.assertFalse(rating.consumed, "opening the link does not rate (mail crawlers)")
        self.authenticate(self.portal_key_a.login, f"{self.portal_key_a.login}-pw")
        response = self.url_open(
            f"/rate/{rating.access_token}/submit_feedback",
            data={
                "rate": 5,
                "feedback": "Snabbt och bra",
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(rating.consumed)
        self.assertEqual(ticket.rating_last_value, 5)
        page = self.url_open(f"/my/support/tickets/{ticket.id}")
        self.assertIn("o_support_rating", page.text)
        self.assertIn("Snabbt och bra", page.text)
        self.assertNotIn("o_support_answer_by", page.text, "answered: no promise left")
