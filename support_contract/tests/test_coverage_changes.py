from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users, warmup
from odoo.tools import mute_logger

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestCoverageChanges(SupportCase):
    def test_redecide_on_ticket_inputs(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"])
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_agreement_id, self.agr_maint)
        # requester: an ordinary contact of the same customer is not a Key User
        ticket.partner_id = self.contact[self.cust_maint]
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("only for its Key Users", ticket.coverage_reason)
        ticket.partner_id = self.maint_key
        self.assertEqual(ticket.coverage, "covered")
        # category
        ticket.category_id = self.cat["new_functionality"]
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("always charged separately", ticket.coverage_reason)
        ticket.category_id = self.cat["code_upgrade"]
        self.assertEqual(ticket.coverage, "covered")
        # customer
        ticket.partner_id = self.contact[self.cust_patch]
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn(self.agr_patch.name, ticket.coverage_reason)
        ticket.partner_id = self.maint_key
        # date: before every agreement started
        ticket.request_date = self.year_ago - relativedelta(days=1)
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("no active support agreement", ticket.coverage_reason)
        ticket.request_date = self.day
        self.assertEqual(ticket.coverage, "covered")
        # outcome, on resolving
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "no_code_error"})
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("No code error identified", ticket.coverage_reason)
        self.assertTrue(ticket.date_resolved)
        ticket.outcome = "code_error"
        self.assertEqual(ticket.coverage, "covered")
        ticket.outcome = "user_error"
        self.assertEqual(ticket.coverage, "billable")
        # reopening empties the outcome: covered again while open
        ticket.stage_id = self.stage_new
        self.assertFalse(ticket.outcome)
        self.assertFalse(ticket.date_resolved)
        self.assertEqual(ticket.coverage, "covered")

    def test_redecide_on_agreement_changes(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"])
        patch_ticket = self._ticket(self.contact[self.cust_maint], self.cat["tech_env"])
        self.assertEqual(ticket.coverage, "covered")
        # key users
        self.agr_maint.key_user_ids = [(5, 0, 0)]
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("none named", ticket.coverage_reason)
        self.agr_maint.key_user_ids = [(4, self.maint_key.id)]
        self.assertEqual(ticket.coverage, "covered")
        # dates of the agreement
        self.agr_maint.date_start = self.today - relativedelta(days=5)
        self.assertEqual(ticket.coverage, "billable")
        self.agr_maint.date_start = self.year_ago
        self.assertEqual(ticket.coverage, "covered")
        # the patch agreement (prerequisite) ends before the ticket
        self.agr_maint_patch.date_end = self.day - relativedelta(days=1)
        self.assertEqual(ticket.coverage, "billable")
        self.assertIn("prerequisite has lapsed", ticket.coverage_reason)
        self.assertFalse(self.agr_maint.prerequisite_ok)
        self.assertIn("Server Patch Agreement", self.agr_maint.prerequisite_warning)
        self.assertEqual(patch_ticket.coverage, "billable")
        self.agr_maint_patch.date_end = False
        self.assertEqual(ticket.coverage, "covered")
        self.assertTrue(self.agr_maint.prerequisite_ok)
        # state: cancelling the maintenance agreement
        self.agr_maint.action_cancel()
        self.assertEqual(ticket.coverage, "billable")
        self.agr_maint.action_draft()
        self.agr_maint.action_activate()
        self.assertEqual(ticket.coverage, "covered")
        # closing keeps what was covered until the end date
        self.agr_maint.action_close()
        self.assertEqual(self.agr_maint.date_end, self.today)
        self.assertEqual(ticket.coverage, "covered")

    def test_redecide_on_rule_change(self):
        ticket = self._ticket(self.contact[self.cust_patch], self.cat["db_correction"])
        self.assertEqual(ticket.coverage, "billable")
        rule = self.env.ref("support_contract.rule_db_correction_patch")
        rule.mode = "included"
        self.assertEqual(ticket.coverage, "covered")
        self.assertIn(self.agr_patch.name, ticket.coverage_reason)

    def test_redecide_on_type_prerequisite_change(self):
        ticket = self._ticket(self.lapsed_key, self.cat["bug_fix"])
        self.assertEqual(ticket.coverage, "billable")
        self.type_maintenance.prerequisite_type_id = False
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_agreement_id, self.agr_lapsed)

    def test_cancelled_tickets_keep_decision(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"], stage_id=self.stage_cancelled.id)
        self.assertEqual(ticket.coverage, "covered")
        self.agr_maint.action_cancel()
        self.assertEqual(ticket.coverage, "covered")

    def test_override_history(self):
        ticket = self._ticket(self.contact[self.cust_maint], self.cat["bug_fix"])
        ticket = ticket.with_context(tracking_disable=False).with_user(self.manager)
        self.assertEqual(ticket.coverage, "billable")
        with self.assertRaises(ValidationError):
            ticket.write({"coverage_override": "covered"})
        self.assertFalse(ticket.coverage_override)
        self.assertEqual(ticket.coverage, "billable")
        with self.assertRaises(ValidationError):
            ticket.write({"coverage_override": "covered", "coverage_override_reason": "  "})
        self.assertFalse(ticket.coverage_override)
        ticket.write(
            {
                "coverage_override": "covered",
                "coverage_override_reason": "Goodwill: the Key User was on leave.",
            }
        )
        self.env.flush_all()
        self.cr.flush()
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_decided, "billable")
        trackings = ticket.sudo().message_ids.tracking_value_ids
        by_field = {t.field_id.name: t for t in trackings}
        self.assertIn("coverage", by_field)
        self.assertEqual(by_field["coverage"].old_value_char, "Billable")
        self.assertEqual(by_field["coverage"].new_value_char, "Covered")
        self.assertIn("coverage_override", by_field)
        self.assertIn("coverage_override_reason", by_field)
        message = by_field["coverage"].mail_message_id
        self.assertEqual(message.author_id, self.manager.partner_id)
        self.assertTrue(message.date)

    def test_decision_change_is_tracked(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"]).with_context(
            tracking_disable=False
        )
        self.assertEqual(ticket.coverage, "covered")
        self.env.flush_all()
        self.cr.flush()  # ends the creation's tracking, as a commit would
        self.agr_maint.with_context(tracking_disable=False).key_user_ids = [(5, 0, 0)]
        self.env.flush_all()
        self.cr.flush()
        self.assertEqual(ticket.coverage, "billable")
        fields_tracked = ticket.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("coverage", fields_tracked)
        self.assertIn("coverage_agreement_id", fields_tracked)

    def test_decision_facts_are_tracked(self):
        """The history shows the change of the decision's facts with readable labels."""
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"]).with_context(
            tracking_disable=False
        )
        self.assertEqual(ticket.coverage_cause, "key_user")
        self.env.flush_all()
        self.cr.flush()
        self.agr_maint.with_context(tracking_disable=False).key_user_ids = [(5, 0, 0)]
        self.env.flush_all()
        self.cr.flush()
        self.assertEqual(ticket.coverage_cause, "not_key_user")
        self.assertEqual(ticket.coverage_deciding_agreement_id, self.agr_maint)
        tracked = {t.field_id.name: t for t in ticket.message_ids.tracking_value_ids}
        self.assertEqual(
            tracked["coverage_cause"].old_value_char, "Included for Key Users, asked by one"
        )
        self.assertEqual(tracked["coverage_cause"].new_value_char, "Included for Key Users only")

    def test_consultant_cannot_override(self):
        ticket = self._ticket(self.contact[self.cust_maint], self.cat["bug_fix"])
        with self.assertRaises(AccessError):
            ticket.with_user(self.consultant).write(
                {"coverage_override": "covered", "coverage_override_reason": "Please"}
            )
        self.assertFalse(ticket.coverage_override)
        self.assertEqual(ticket.coverage, "billable")
        with self.assertRaises(AccessError):
            self.env["support.ticket"].with_user(self.consultant).create(
                {
                    "name": "Sneaky",
                    "partner_id": self.maint_key.id,
                    "category_id": self.cat["new_functionality"].id,
                    "coverage_override": "covered",
                    "coverage_override_reason": "Please",
                }
            )

    def test_resolving_requires_outcome(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"])
        with self.assertRaises(UserError):
            ticket.stage_id = self.stage_resolved
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertFalse(ticket.date_resolved)
        with self.assertRaises(UserError):
            self._ticket(self.maint_key, self.cat["bug_fix"], stage_id=self.stage_resolved.id)

    def test_ticket_requires_customer_and_category(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"])
        count = self.env["support.ticket"].search_count([])
        with self.assertRaises(ValidationError):
            self._ticket(self.maint_key, self.cat["bug_fix"], partner_id=False)
        self.assertEqual(self.env["support.ticket"].search_count([]), count)
        # Without a category it waits in To Classify: nothing decided.
        pending = self._ticket(self.maint_key, self.cat["bug_fix"], category_id=False)
        self.assertFalse(pending.coverage)
        self.assertEqual(pending.coverage_reason, "Decision pending: choose the service category.")
        with self.assertRaises(ValidationError):
            ticket.write({"partner_id": False})
        self.assertEqual(ticket.partner_id, self.maint_key)

    def test_number_sequence(self):
        tickets = self.env["support.ticket"].create(
            [
                {
                    "name": f"T{i}",
                    "partner_id": self.maint_key.id,
                    "category_id": self.cat["bug_fix"].id,
                }
                for i in range(3)
            ]
        )
        self.assertEqual(len(set(tickets.mapped("number"))), 3)
        self.assertTrue(all(n.startswith("SUP/") for n in tickets.mapped("number")))

    def test_form_shows_decision_live(self):
        form = Form(self.env["support.ticket"])
        form.name = "Live"
        form.partner_id = self.maint_key
        form.category_id = self.cat["bug_fix"]
        self.assertEqual(form.coverage, "covered")
        self.assertIn("is a Key User", form.coverage_reason)
        form.partner_id = self.contact[self.cust_maint]
        self.assertEqual(form.coverage, "billable")
        ticket = form.save()
        self.assertEqual(ticket.coverage, "billable")

    @users("sc_consultant")
    @warmup
    def test_decision_query_count(self):
        """The decision costs the same number of queries for 10 and 10,000 requests."""
        Ticket = self.env["support.ticket"]
        requesters = [self.maint_key, self.contact[self.cust_patch], self.contact[self.cust_none]]
        codes = list(self.cat)

        def values(size):
            return [
                {
                    "partner_id": requesters[i % 3].id,
                    "category_id": self.cat[codes[i % len(codes)]].id,
                    "request_date": self.day - relativedelta(days=i % 40),
                    "outcome": False,
                    "company_id": self.company.id,
                }
                for i in range(size)
            ]

        small, big = values(10), values(10000)
        self.env.invalidate_all()
        with self.assertQueryCount(sc_consultant=10):
            self.assertEqual(len(Ticket._decide_coverage(small)), 10)
        self.env.invalidate_all()
        with self.assertQueryCount(sc_consultant=10):
            self.assertEqual(len(Ticket._decide_coverage(big)), 10000)

    def test_consultant_form(self):
        """The consultant's form: the decision shows, the override is read-only."""
        form = Form(self.env["support.ticket"].with_user(self.consultant))
        form.name = "Fråga om Key User"
        form.partner_id = self.maint_key
        form.category_id = self.cat["key_user_advice"]
        self.assertEqual(form.coverage, "covered")
        self.assertFalse(form.can_override)
        with self.assertRaises(AssertionError):
            form.coverage_override = "billable"
        ticket = form.save()
        self.assertEqual(ticket.user_id, self.consultant)
        self.assertEqual(ticket.coverage_agreement_id, self.agr_maint)

    def test_patch_period_unique(self):
        vals = {
            "patch_agreement_id": self.agr_maint.id,
            "patch_period": "2026-01",
        }
        self._ticket(self.maint_key, self.cat["source_patch_install"], **vals)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self._ticket(self.maint_key, self.cat["source_patch_install"], **vals)
