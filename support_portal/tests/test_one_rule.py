from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestOneRule(SupportPortalFixture, TransactionCase):
    """The portal and the coverage decision ask the same rules (Key User on a date, agreement in
    force, prerequisite met) and so agree; each case was once written differently in each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.yesterday = cls.today - relativedelta(days=1)
        cls.tomorrow = cls.today + relativedelta(days=1)

    def _decide(self, requester, category, day):
        values = {
            "partner_id": requester.id,
            "category_id": category.id,
            "request_date": day,
            "outcome": False,
            "company_id": self.company.id,
        }
        return self.env["support.ticket"]._decide_coverage([values])[0]

    def _portal_sees_all(self):
        """Whether the Key User's portal shows the tickets of the other contact too."""
        tickets = self.env["support.ticket"].with_user(self.portal_key_a).search([])
        return self.ticket_user_a in tickets

    def test_key_user_of_a_closed_agreement(self):
        self.assertTrue(self._portal_sees_all())
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.today)["coverage"], "covered"
        )
        # Closed today: in force until its end date (today), for the portal as for the decision.
        self.agr_a_maint.action_close()
        self.assertEqual(self.agr_a_maint.date_end, self.today)
        self.assertTrue(self.key_a._is_support_key_user())
        self.assertTrue(self._portal_sees_all())
        self.assertTrue(self.ticket_user_a._portal_can_approve(self.key_a))
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.today)["coverage"], "covered"
        )
        # Ended yesterday: no longer a Key User today, still one for the days it ran.
        self.agr_a_maint.date_end = self.yesterday
        self.assertFalse(self.key_a._is_support_key_user())
        self.assertFalse(self._portal_sees_all())
        self.assertFalse(self.ticket_user_a._portal_can_approve(self.key_a))
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.today)["coverage"], "billable"
        )
        self.assertTrue(self.key_a._is_support_key_user(self.yesterday))
        decision = self._decide(self.key_a, self.cat_bug_fix, self.yesterday)
        self.assertEqual(decision["coverage"], "covered")
        self.assertEqual(decision["agreement_id"], self.agr_a_maint.id)

    def test_key_user_of_an_agreement_not_in_force(self):
        """An active agreement that starts tomorrow names no Key User today (the portal once
        counted active agreements on any date)."""
        self.agr_a_maint.action_cancel()
        self.assertFalse(self.key_a._is_support_key_user())
        self.assertFalse(self._portal_sees_all())
        later = self._agreement(self.cust_a, self.type_maintenance, self.key_a)
        later.date_start = self.tomorrow
        self.assertEqual(later.state, "active")
        self.assertFalse(self.key_a._is_support_key_user())
        self.assertFalse(self._portal_sees_all())
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.today)["coverage"], "billable"
        )
        self.assertTrue(self.key_a._is_support_key_user(self.tomorrow))
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.tomorrow)["coverage"], "covered"
        )

    def test_agreement_in_force(self):
        agreements = self.env["support.agreement"].with_user(self.portal_key_a)
        self.assertEqual(
            agreements.search([("is_in_force", "=", True)]), self.agr_a_patch | self.agr_a_maint
        )
        self.agr_a_patch.action_close()
        self.agr_a_patch.date_end = self.yesterday
        self.assertEqual(agreements.search([("is_in_force", "=", True)]), self.agr_a_maint)
        self.assertEqual(agreements.search([("is_in_force", "=", False)]), self.agr_a_patch)
        self.assertFalse(self.agr_a_patch.is_in_force)
        self.assertEqual(
            self.agr_a_patch._filter_in_force(self.yesterday), self.agr_a_patch, "in force then"
        )

    def test_prerequisite_met(self):
        def portal_met(day):
            return self.agr_a_maint.with_user(self.portal_key_a)._portal_prerequisite_status(day)

        # Closed today: the patch agreement still meets the prerequisite today, not tomorrow.
        self.agr_a_patch.action_close()
        status = portal_met(self.today)
        self.assertTrue(status["met"])
        self.assertEqual(status["agreements"], self.agr_a_patch)
        self.assertTrue(self.agr_a_maint._is_prerequisite_met())
        self.assertEqual(
            self._decide(self.key_a, self.cat_bug_fix, self.today)["coverage"], "covered"
        )
        self.assertFalse(portal_met(self.tomorrow)["met"])
        self.assertFalse(self.agr_a_maint._is_prerequisite_met(self.tomorrow))
        decision = self._decide(self.key_a, self.cat_bug_fix, self.tomorrow)
        self.assertEqual(decision["coverage"], "billable")
        self.assertIn("prerequisite has lapsed", decision["reason"])
        # The agreement form warns from the same day.
        self.assertFalse(self.agr_a_maint.prerequisite_ok)
        self.assertEqual(
            self.agr_a_maint._prerequisite_gaps()[self.agr_a_maint.id], [(self.tomorrow, False)]
        )

    def test_pack_drawn_first(self):
        """The portal names the pack the engine draws from: the oldest valid one with hours
        left (an expired one is skipped)."""
        self._pack(
            self.cust_b,
            5.0,
            date_start=self.year_ago - relativedelta(years=2),
            date_end=self.yesterday,
        )
        older = self._pack(self.cust_b, 3.0, date_start=self.year_ago - relativedelta(months=1))

        def quoted_pack():
            Ticket = self.env["support.ticket"].with_user(self.portal_user_b)
            return Ticket._portal_decide(self.cat_bug_fix)["pack"]["name"]

        self.assertEqual(quoted_pack(), older.name)
        ticket = self._ticket(self.user_b, self.cat_bug_fix, name="Next request")
        line = self._log(ticket, 3.0)
        self.assertEqual(line.support_consumption_ids.pack_id, older)
        # The older pack is used up: both move on to the next one.
        self.assertEqual(older.hours_remaining, 0.0)
        self.assertEqual(quoted_pack(), self.pack_b.name)
        line = self._log(ticket, 1.0)
        self.assertEqual(line.support_consumption_ids.pack_id, self.pack_b)
