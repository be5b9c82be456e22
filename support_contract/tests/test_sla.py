from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time
from pytz import timezone, utc

from odoo.exceptions import AccessError
from odoo.tests import tagged, users, warmup

from ..models.resource_calendar import swedish_holidays
from .common import SupportCase
from .test_mail_intake import raw_email

STOCKHOLM = timezone("Europe/Stockholm")


def local(text):
    """A naive UTC datetime from a Stockholm wall-clock time ``YYYY-MM-DD HH:MM``."""
    return (
        STOCKHOLM.localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
        .astimezone(utc)
        .replace(tzinfo=None)
    )


@tagged("post_install", "-at_install")
class TestSla(SupportCase):
    """Deadlines on the demo company's calendar (Mon-Fri 8-12 and 13-17 in Europe/Stockholm)
    with the Swedish holidays, checked against hand-computed cases."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo_calendar = cls.env.ref("support_contract.company_cloudworkz").resource_calendar_id
        cls.calendar = demo_calendar.copy({"name": "SLA test calendar", "company_id": False})
        cls.calendar.tz = "Europe/Stockholm"
        cls.company.resource_calendar_id = cls.calendar
        cls.calendar._support_generate_swedish_holidays(2026, 2028)
        cls.stage_progress = cls.env.ref("support_contract.stage_in_progress")
        cls.stage_waiting = cls.env.ref("support_contract.stage_waiting")
        Policy = cls.env["support.sla.policy"]
        # On-Demand (no agreement covers the request): 4 h to answer, 32 h to resolve.
        cls.policy_on_demand = Policy.create(
            {
                "name": "On-Demand",
                "company_id": cls.company.id,
                "response_hours": 4,
                "resolution_hours": 32,
            }
        )
        cls.policy_on_demand_urgent = Policy.create(
            {
                "name": "On-Demand urgent",
                "company_id": cls.company.id,
                "priority": "2",
                "response_hours": 1,
                "resolution_hours": 8,
            }
        )
        cls.policy_maint = Policy.create(
            {
                "name": "Maintenance",
                "company_id": cls.company.id,
                "type_id": cls.type_maintenance.id,
                "response_hours": 2,
                "resolution_hours": 16,
            }
        )
        cls.requester = cls.contact[cls.cust_none]
        cls.company.support_queue_user_id = cls.manager

    @contextmanager
    def _at(self, text):
        """Freeze the clock (and the transaction's timestamp, so create_date) at a Stockholm
        wall-clock time."""
        moment = local(text)
        saved = self.env.cr._now
        self.env.cr._now = moment
        try:
            with freeze_time(moment):
                yield moment
        finally:
            self.env.cr._now = saved

    def _request(self, text, **vals):
        with self._at(text):
            return self._ticket(
                self.requester, self.cat["bug_fix"], user_id=self.consultant.id, **vals
            )

    def assertDeadlines(self, ticket, response, resolution, msg=""):
        self.assertEqual(ticket.sla_response_deadline, local(response), f"response {msg}")
        self.assertEqual(ticket.sla_resolution_deadline, local(resolution), f"resolution {msg}")

    # --- Holidays -----------------------------------------------------------------------------
    def test_swedish_holidays(self):
        days = {day: name for day, name in swedish_holidays(2027)}
        for day, why in [
            ("2027-01-01", "Nyårsdagen"),
            ("2027-01-06", "Trettondedag jul"),
            ("2027-03-26", "Långfredagen"),
            ("2027-03-29", "Annandag påsk"),
            ("2027-05-06", "Kristi himmelsfärd"),
            ("2027-06-25", "Midsommarafton (Friday 19-25 June)"),
            ("2027-06-26", "Midsommardagen"),
            ("2027-11-06", "Alla helgons dag (Saturday 31 Oct-6 Nov)"),
            ("2027-12-24", "Julafton"),
            ("2027-12-31", "Nyårsafton"),
        ]:
            self.assertIn(datetime.strptime(day, "%Y-%m-%d").date(), days, why)
        self.assertEqual(len(days), 16)
        midsummer_2026 = [
            d for d, n in swedish_holidays(2026) if n._translate("en_US") == "Midsummer Eve"
        ]
        self.assertEqual(str(midsummer_2026[0]), "2026-06-19")

    def test_holiday_names_in_the_companys_language(self):
        """The leaves are named in the language of the calendar's company: Swedish books get
        Swedish names, whoever runs the action."""
        self.env["res.lang"]._activate_lang("sv_SE")
        Calendar = self.env["resource.calendar"]
        names = {}
        for lang in ("sv_SE", "en_US"):
            self.company.partner_id.lang = lang
            calendar = Calendar.create(
                {"name": lang, "tz": "Europe/Stockholm", "company_id": self.company.id}
            )
            leaves = calendar.with_context(lang="en_US")._support_generate_swedish_holidays(
                2027, 2027
            )
            names[lang] = set(leaves.mapped("name"))
        self.assertLessEqual(
            {"Nyårsdagen", "Långfredagen", "Midsommarafton", "Julafton", "Nyårsafton"},
            names["sv_SE"],
        )
        self.assertLessEqual({"New Year's Day", "Midsummer Eve", "Christmas Eve"}, names["en_US"])
        self.assertEqual(len(names["sv_SE"]), 16)

    def test_holidays_idempotent(self):
        Leave = self.env["resource.calendar.leaves"]
        domain = [("calendar_id", "=", self.calendar.id), ("resource_id", "=", False)]
        count = Leave.search_count(domain)
        self.assertEqual(count, 3 * 16)
        self.assertFalse(self.calendar._support_generate_swedish_holidays(2026, 2028))
        wizard = (
            self.env["support.holiday.generate"]
            .with_context(active_model="resource.calendar", active_ids=self.calendar.ids)
            .create({"year_from": 2027, "year_to": 2029})
        )
        wizard.action_generate()
        self.assertEqual(Leave.search_count(domain), 4 * 16, "only 2029 was added")
        julafton = Leave.search(
            domain + [("name", "=", "Christmas Eve")], limit=1, order="date_from"
        )
        self.assertEqual(julafton.date_from, local("2026-12-24 00:00"), "a whole local day")

    # --- Deadlines ----------------------------------------------------------------------------
    def test_friday_afternoon(self):
        ticket = self._request("2027-03-05 15:00")
        self.assertEqual(ticket.sla_policy_id, self.policy_on_demand)
        self.assertFalse(ticket.sla_type_id)
        # 2 h on Friday, the rest from Monday 08:00.
        self.assertDeadlines(ticket, "2027-03-08 10:00", "2027-03-11 15:00")

    def test_across_easter_and_spring_dst(self):
        # Thursday before Easter: Good Friday and Easter Monday are off; summer time starts.
        ticket = self._request("2027-03-25 16:00")
        self.assertDeadlines(ticket, "2027-03-30 11:00", "2027-04-02 16:00")

    def test_across_midsummer(self):
        ticket = self._request("2027-06-24 14:00")
        self.assertDeadlines(ticket, "2027-06-28 09:00", "2027-07-01 14:00")

    def test_across_christmas_and_new_year(self):
        # Julafton and juldagen off, Monday 28th worked, nyårsafton and nyårsdagen off.
        ticket = self._request("2026-12-23 15:00")
        self.assertDeadlines(ticket, "2026-12-28 10:00", "2027-01-04 15:00")

    def test_across_autumn_dst(self):
        ticket = self._request("2027-10-29 14:00")
        self.assertDeadlines(ticket, "2027-11-01 09:00", "2027-11-04 14:00")
        self.assertEqual(ticket.sla_response_deadline, datetime(2027, 11, 1, 8, 0), "UTC+1")

    def test_outside_business_hours_and_request_date(self):
        # A Saturday request counts from Monday 08:00, whatever request date a user typed.
        ticket = self._request("2027-03-06 11:00", request_date="2027-01-01")
        self.assertDeadlines(ticket, "2027-03-08 12:00", "2027-03-11 17:00")

    def test_policy_most_specific_and_reapplied(self):
        ticket = self._request("2027-03-05 15:00")
        with self._at("2027-03-05 15:30"):
            ticket.priority = "2"
        self.assertEqual(ticket.sla_policy_id, self.policy_on_demand_urgent)
        self.assertDeadlines(ticket, "2027-03-05 16:00", "2027-03-08 15:00")
        covered = self._ticket(self.maint_key, self.cat["bug_fix"])
        self.assertEqual(covered.coverage_agreement_id, self.agr_maint)
        self.assertEqual(covered.sla_policy_id, self.policy_maint)
        self.assertEqual(covered.sla_type_id, self.type_maintenance)
        # A new policy for the category is more specific: open tickets take it.
        policy = self.env["support.sla.policy"].create(
            {
                "name": "Maintenance bug fixes",
                "company_id": self.company.id,
                "type_id": self.type_maintenance.id,
                "category_id": self.cat["bug_fix"].id,
                "response_hours": 1,
                "resolution_hours": 4,
            }
        )
        self.assertEqual(covered.sla_policy_id, policy)

    # --- Pause, resolution, reopening ---------------------------------------------------------
    def test_pause_and_resume(self):
        ticket = self._request("2027-03-01 09:00")
        self.assertDeadlines(ticket, "2027-03-01 14:00", "2027-03-05 09:00")
        with self._at("2027-03-01 11:00"):
            ticket.with_user(self.consultant).message_post(
                body="Vi tittar på det.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(ticket.date_first_response, local("2027-03-01 11:00"))
        self.assertEqual(ticket.sla_response_state, "met")
        with self._at("2027-03-01 13:00"):
            ticket.with_user(self.consultant).stage_id = self.stage_waiting
        self.assertEqual(ticket.sla_resolution_state, "paused")
        with self._at("2027-03-02 11:00"):
            ticket.with_user(self.consultant).stage_id = self.stage_progress
            self.assertEqual(ticket.sla_resolution_state, "running")
        # Waited Monday 13-17 and Tuesday 8-11: 7 business hours.
        self.assertEqual(ticket.sla_resolution_paused_hours, 7)
        self.assertDeadlines(ticket, "2027-03-01 14:00", "2027-03-05 17:00")
        with self._at("2027-03-05 16:00"):
            ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        self.assertEqual(ticket.sla_resolution_state, "met")

    def test_resolve_and_reopen(self):
        ticket = self._request("2027-03-01 09:00")
        with self._at("2027-03-02 10:00"):
            ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        self.assertEqual(ticket.sla_resolution_state, "met")
        # Resolving answers the request, here after the 14:00 response deadline.
        self.assertEqual(ticket.sla_response_state, "breached")
        with self._at("2027-03-03 10:00"):
            ticket.stage_id = self.stage_progress
            self.assertEqual(ticket.sla_resolution_state, "running")
        # The clock resumes: resolved Tuesday 10:00 - Wednesday 10:00 is 8 business hours.
        self.assertEqual(ticket.sla_resolution_deadline, local("2027-03-08 09:00"))
        with self._at("2027-03-08 10:00"):
            ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        self.assertEqual(ticket.sla_resolution_state, "breached")

    def test_breached_while_open(self):
        ticket = self._request("2027-03-01 09:00")
        with self._at("2027-03-01 15:00"):
            self.env["support.ticket"]._cron_sla_escalate()
        self.assertEqual(ticket.sla_response_state, "breached")
        self.assertEqual(ticket.sla_resolution_state, "running")
        breached = self.env["support.ticket"].search([("sla_response_state", "=", "breached")])
        self.assertIn(ticket, breached)

    # --- First response -----------------------------------------------------------------------
    def test_first_response_not_internal_note(self):
        ticket = self._request("2027-03-01 09:00")
        with self._at("2027-03-01 09:30"):
            ticket.with_user(self.consultant).message_post(
                body="Intern anteckning", message_type="comment", subtype_xmlid="mail.mt_note"
            )
            ticket.message_post(
                body="Kunden skriver",
                author_id=self.requester.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(ticket.date_first_response)
        self.assertEqual(ticket.sla_response_state, "running")
        with self._at("2027-03-01 10:15"):
            ticket.with_user(self.consultant).message_post(
                body="Hej!", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        with self._at("2027-03-01 10:45"):
            ticket.with_user(self.manager).message_post(
                body="Igen", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(ticket.date_first_response, local("2027-03-01 10:15"), "the first one")
        self.assertEqual(ticket.sla_response_state, "met")

    def test_first_response_by_email_reply(self):
        ticket = self._request("2027-03-01 09:00")
        self.consultant.email = "sara@cloudworkz.example.com"
        raw = raw_email(
            "Sara <sara@cloudworkz.example.com>",
            f"Re: {ticket.display_name}",
            body="Hej, vi har hittat felet.",
        )
        with self._at("2027-03-01 12:30"):
            self.env["mail.thread"].message_process("support.ticket", raw, thread_id=ticket.id)
        self.assertEqual(ticket.date_first_response, local("2027-03-01 12:30"))
        self.assertEqual(ticket.sla_response_state, "met")

    # --- Escalation ---------------------------------------------------------------------------
    def test_escalation_once(self):
        ticket = self._request("2027-03-01 09:00")
        Activity = self.env["mail.activity"]
        warn = self.env.ref("support_contract.mail_activity_type_sla_warn")
        breach = self.env.ref("support_contract.mail_activity_type_sla_breach")
        domain = [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        # 75 % of 4 h from Monday 09:00 is 12:00.
        with self._at("2027-03-01 11:30"):
            self.env["support.ticket"]._cron_sla_escalate()
        self.assertFalse(
            Activity.search(domain + [("activity_type_id", "in", (warn | breach).ids)])
        )
        with self._at("2027-03-01 13:05"):
            self.assertTrue(ticket.sla_at_risk)
            self.assertIn(ticket, self.env["support.ticket"].search([("sla_at_risk", "=", True)]))
            self.env["support.ticket"]._cron_sla_escalate()
            self.env["support.ticket"]._cron_sla_escalate()
        warned = Activity.search(domain + [("activity_type_id", "=", warn.id)])
        self.assertEqual(len(warned), 1)
        self.assertEqual(warned.user_id, self.consultant, "the assignee is warned")
        with self._at("2027-03-01 14:05"):
            self.env["support.ticket"]._cron_sla_escalate()
            self.env["support.ticket"]._cron_sla_escalate()
        escalated = Activity.search(domain + [("activity_type_id", "=", breach.id)])
        self.assertEqual(len(escalated), 1)
        self.assertEqual(escalated.user_id, self.manager, "the team's manager gets it")
        notes = ticket.message_ids.filtered(lambda m: "Response target breached" in str(m.body))
        self.assertEqual(len(notes), 1)
        self.assertTrue(ticket.sla_response_warned and ticket.sla_response_escalated)

    def test_moved_deadline_is_warned_and_escalated_again(self):
        """The warning and escalation follow the deadline: once sent for the old one, a manager's
        later deadline gets its own, each once; a deadline moved into the past escalates nothing
        twice."""
        ticket = self._request("2027-03-01 09:00")
        Ticket = self.env["support.ticket"]
        Activity = self.env["mail.activity"]
        warn = self.env.ref("support_contract.mail_activity_type_sla_warn")
        breach = self.env.ref("support_contract.mail_activity_type_sla_breach")
        domain = [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]

        def count(kind):
            text = "Answer the customer" if kind == warn else "Response target breached"
            return Activity.search_count(
                domain + [("activity_type_id", "=", kind.id), ("note", "ilike", text)]
            )

        for moment in ("2027-03-01 13:05", "2027-03-01 14:05"):
            with self._at(moment):
                Ticket._cron_sla_escalate()
        self.assertEqual((count(warn), count(breach)), (1, 1))
        self.assertTrue(ticket.sla_response_warned and ticket.sla_response_escalated)
        # Tuesday 09:00: the manager gives until Tuesday 17:00 (8 h, warned from 15:00).
        with self._at("2027-03-02 09:00"):
            ticket.with_user(self.manager)._sla_set_deadlines(
                local("2027-03-02 17:00"), False, "Kunden är bortrest"
            )
            self.assertEqual(ticket.sla_response_state, "running")
            self.assertFalse(ticket.sla_response_warned or ticket.sla_response_escalated)
            Ticket._cron_sla_escalate()
        self.assertEqual((count(warn), count(breach)), (1, 1), "nothing due yet")
        for moment in ("2027-03-02 15:30", "2027-03-02 15:45"):
            with self._at(moment):
                Ticket._cron_sla_escalate()
        self.assertEqual((count(warn), count(breach)), (2, 1), "warned once for the new one")
        for moment in ("2027-03-02 17:05", "2027-03-02 17:20"):
            with self._at(moment):
                Ticket._cron_sla_escalate()
        self.assertEqual((count(warn), count(breach)), (2, 2), "escalated once for the new one")
        # Moved again, but to a moment already past: not escalated a third time.
        with self._at("2027-03-02 17:30"):
            ticket.with_user(self.manager)._sla_set_deadlines(
                local("2027-03-02 17:10"), False, "Rättat"
            )
            self.assertTrue(ticket.sla_response_warned and ticket.sla_response_escalated)
            Ticket._cron_sla_escalate()
        self.assertEqual((count(warn), count(breach)), (2, 2))

    # --- Rights -------------------------------------------------------------------------------
    def test_engine_fields_protected(self):
        ticket = self._request("2027-03-01 09:00")
        before = (ticket.sla_response_deadline, ticket.sla_resolution_state)
        for fname, value in [
            ("sla_response_deadline", "2027-12-31 12:00:00"),
            ("sla_resolution_state", "met"),
            ("date_first_response", "2027-03-01 08:00:00"),
            ("sla_resolution_deadline_manual", "2027-12-31 12:00:00"),
            ("sla_policy_id", self.policy_maint.id),
        ]:
            for user in (self.consultant, self.manager):
                with self.subTest(field=fname, user=user.login), self.assertRaises(AccessError):
                    ticket.with_user(user).write({fname: value})
        portal = self._user("sla_portal", "base.group_portal", partner_id=self.requester.id)
        with self.assertRaises(AccessError):
            ticket.with_user(portal).write({"sla_response_deadline": "2027-12-31 12:00:00"})
        with self.assertRaises(AccessError):
            ticket.with_user(self.consultant).action_sla_change_deadline()
        with self.assertRaises(AccessError):
            self.env["support.sla.deadline.change"].with_user(self.consultant).create(
                {"ticket_id": ticket.id, "reason": "x"}
            )
        with self.assertRaises(AccessError):
            self.env["support.sla.policy"].with_user(self.consultant).create(
                {"name": "Mine", "response_hours": 1, "resolution_hours": 2}
            )
        ticket.invalidate_recordset()
        self.assertEqual((ticket.sla_response_deadline, ticket.sla_resolution_state), before)

    def test_manager_moves_deadline_with_reason(self):
        ticket = self._request("2027-03-01 09:00")
        action = ticket.with_user(self.manager).action_sla_change_deadline()
        wizard = (
            self.env["support.sla.deadline.change"]
            .with_user(self.manager)
            .with_context(action["context"])
            .create(
                {"resolution_deadline": local("2027-03-10 12:00"), "reason": "Kunden bad om det"}
            )
        )
        self.assertEqual(wizard.response_deadline, ticket.sla_response_deadline)
        wizard.action_apply()
        self.assertDeadlines(ticket, "2027-03-01 14:00", "2027-03-10 12:00")
        self.assertIn("Kunden bad om det", str(ticket.message_ids[0].body))
        # Waiting for the customer moves the manager's deadline too.
        with self._at("2027-03-02 08:00"):
            ticket.stage_id = self.stage_waiting
        with self._at("2027-03-02 10:00"):
            ticket.stage_id = self.stage_progress
        self.assertEqual(ticket.sla_resolution_deadline, local("2027-03-10 15:00"))

    # --- Batch --------------------------------------------------------------------------------
    @users("sc_consultant")
    @warmup
    def test_thousand_tickets_without_per_record_queries(self):
        Ticket = self.env["support.ticket"]
        with self._at("2027-03-05 15:00"):
            tickets = Ticket.create(
                [
                    {
                        "name": f"SLA {index}",
                        "partner_id": self.requester.id,
                        "category_id": self.cat["bug_fix"].id,
                        "priority": "2" if index % 2 else "0",
                    }
                    for index in range(1000)
                ]
            )
            self.assertEqual(
                set(tickets.mapped("sla_response_deadline")),
                {local("2027-03-05 16:00"), local("2027-03-08 10:00")},
            )
            tickets.invalidate_recordset()
            with self.assertQueryCount(sc_consultant=2):
                rows = Ticket.search_read(
                    [("id", "in", tickets.ids)],
                    [
                        "sla_policy_id",
                        "sla_response_deadline",
                        "sla_resolution_deadline",
                        "sla_response_state",
                        "sla_resolution_state",
                        "sla_at_risk",
                    ],
                )
            self.assertEqual(len(rows), 1000)
            # Re-planning all of them reads the calendar once.
            with self.assertQueryCount(sc_consultant=13):
                for fname in ("sla_response_deadline", "sla_resolution_deadline"):
                    self.env.add_to_compute(Ticket._fields[fname], tickets)
                tickets.flush_recordset(["sla_response_deadline", "sla_resolution_deadline"])
