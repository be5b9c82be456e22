import calendar
from datetime import date

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestFeeCredits(SupportTimesheetCase):
    """Monthly fees follow the agreement: days no longer due are not invoiced, or credited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user(
            "st_fee_manager",
            "support_contract.group_support_manager",
        )
        cls.customer = cls.env["res.partner"].create({"name": "Avgiftskund AB", "is_company": True})

    def _fee_agreement(self, agreement_type, fee, date_start, **vals):
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.customer.id,
                "type_id": agreement_type.id,
                "date_start": date_start,
                "monthly_fee": fee,
                "user_id": self.manager.id,
                **vals,
            }
        )
        agreement.action_activate()
        return agreement

    def _credit_notes(self):
        return self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_refund")]
        )

    def _activities(self, agreement):
        return self.env["mail.activity"].search(
            [("res_model", "=", "support.agreement"), ("res_id", "=", agreement.id)]
        )

    def test_credit_in_the_readers_languages(self):
        """An English manager closes a Swedish customer's agreement early: the credit note
        reads in Swedish, the Swedish account manager's activity too."""
        self.env["res.lang"]._activate_lang("sv_SE")
        self.customer.lang = "sv_SE"
        account_manager = self._user(
            "st_fee_swede", "support_contract.group_support_user", lang="sv_SE"
        )
        agreement = self._fee_agreement(
            self.type_patch, 3000.0, date(2026, 4, 1), user_id=account_manager.id
        )
        agreement._invoice_monthly_fees(until=date(2026, 4, 30)).action_post()
        self.manager.lang = "en_US"
        agreement.with_user(self.manager).with_context(lang="en_US").write(
            {"state": "closed", "date_end": date(2026, 4, 10)}
        )
        credit = self._credit_notes()
        self.assertEqual(credit.invoice_origin, "Avgifter för supportavtal")
        self.assertIn("kreditering av", credit.invoice_line_ids.name)
        activity = self._activities(agreement)
        self.assertEqual(activity.user_id, account_manager)
        self.assertIn("ska inte längre betalas; bokför kreditfakturautkastet", activity.summary)

    def test_closed_mid_month_credits_unused_days(self):
        # April 2026 has 30 days: 100 per day.
        agreement = self._fee_agreement(self.type_patch, 3000.0, date(2026, 4, 1))
        invoice = agreement._invoice_monthly_fees(until=date(2026, 4, 30))
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 3000.0)
        agreement.with_user(self.manager).write({"state": "closed", "date_end": date(2026, 4, 10)})
        credit = self._credit_notes()
        self.assertEqual(len(credit), 1)
        self.assertEqual(credit.state, "draft")
        self.assertEqual(credit.amount_untaxed, 2000.0, "20 unused days")
        period = agreement.fee_period_ids
        self.assertAlmostEqual(period.credited_ratio, 20 / 30, places=4)
        self.assertTrue(self._activities(agreement))
        # Credited once: the daily job and later changes find nothing more to credit.
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 5, 31))
        agreement.write({"date_end": date(2026, 4, 10)})
        self.assertEqual(self._credit_notes(), credit)
        self.assertEqual(len(agreement.fee_period_ids), 1, "no month after the end")
        # The draft credit note deleted: the days are credited again by the next check.
        credit.unlink()
        self.assertEqual(period.credited_ratio, 0.0)
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 5, 31))
        self.assertEqual(self._credit_notes().amount_untaxed, 2000.0)
        # Cancelled instead: the same.
        self._credit_notes().button_cancel()
        self.assertEqual(period.credited_ratio, 0.0)
        agreement._support_credit_undue_fees()
        again = self._credit_notes().filtered(lambda m: m.state == "draft")
        self.assertEqual(again.amount_untaxed, 2000.0)

    def test_closed_before_invoicing_bills_the_days_in_force(self):
        agreement = self._fee_agreement(self.type_patch, 3000.0, date(2026, 4, 1))
        agreement.write({"state": "closed", "date_end": date(2026, 4, 10)})
        invoice = agreement._invoice_monthly_fees(until=date(2026, 4, 30))
        self.assertEqual(invoice.amount_untaxed, 1000.0)
        self.assertFalse(self._credit_notes())

    def test_closed_with_draft_fee_invoice_corrects_the_draft(self):
        agreement = self._fee_agreement(self.type_patch, 3000.0, date(2026, 4, 1))
        draft = agreement._invoice_monthly_fees(until=date(2026, 4, 30))
        agreement.write({"state": "closed", "date_end": date(2026, 4, 10)})
        self.assertFalse(self._credit_notes())
        self.assertEqual(draft.amount_untaxed, 1000.0)
        self.assertEqual(agreement.fee_period_ids.amount, 1000.0)

    def test_cancelled_mid_month_credits_the_rest(self):
        start = self.month_start
        days = calendar.monthrange(start.year, start.month)[1]
        agreement = self._fee_agreement(self.type_patch, 31000.0, start)
        invoice = agreement._invoice_monthly_fees()
        invoice.action_post()
        as_manager = agreement.with_user(self.manager)
        today = fields.Date.context_today(as_manager)
        as_manager.action_cancel()
        self.assertEqual(agreement.date_end, today)
        unused = days - today.day
        credit = self._credit_notes()
        if unused:
            self.assertEqual(credit.amount_untaxed, round(31000.0 * unused / days, 2))
        else:
            self.assertFalse(credit)

    def test_lapsed_prerequisite_not_invoiced(self):
        patch = self._fee_agreement(self.type_patch, 600.0, date(2026, 4, 1))
        maintenance = self._fee_agreement(self.type_maintenance, 3000.0, date(2026, 4, 1))
        patch.write({"state": "closed", "date_end": date(2026, 4, 20)})
        invoice = maintenance._invoice_monthly_fees(until=date(2026, 5, 31))
        # April: 20 of 30 days with the patch agreement; May: none.
        self.assertEqual(invoice.invoice_line_ids.price_unit, 2000.0)
        periods = maintenance.fee_period_ids.sorted("date_start")
        self.assertEqual(periods.mapped("state"), ["invoiced", "lapsed"])
        self.assertEqual(periods.mapped("lapsed_days"), [10, 31])
        activities = self._activities(maintenance)
        self.assertTrue(activities)
        self.assertEqual(activities.user_id, self.manager)
        self.assertIn("not in force", activities[0].summary)
        # The daily job does not try again.
        self.assertFalse(maintenance._invoice_monthly_fees(until=date(2026, 5, 31)))

    def test_prerequisite_lapsing_after_invoicing_is_credited(self):
        patch = self._fee_agreement(self.type_patch, 600.0, date(2026, 4, 1))
        maintenance = self._fee_agreement(self.type_maintenance, 3000.0, date(2026, 4, 1))
        invoice = maintenance._invoice_monthly_fees(until=date(2026, 4, 30))
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 3000.0)
        patch.with_user(self.manager).write({"state": "closed", "date_end": date(2026, 4, 20)})
        credit = self._credit_notes()
        self.assertEqual(credit.amount_untaxed, 1000.0, "10 lapsed days of the maintenance fee")
        self.assertTrue(self._activities(maintenance))

    def test_waive_a_month(self):
        agreement = self._fee_agreement(self.type_patch, 3000.0, date(2026, 4, 1))
        with self.assertRaises(AccessError):
            agreement.with_user(self.consultant).action_waive_fee_month(date(2026, 5, 1), "x")
        with self.assertRaises(UserError):
            agreement.with_user(self.manager).action_waive_fee_month(date(2026, 5, 1), " ")
        agreement.with_user(self.manager).action_waive_fee_month(
            date(2026, 5, 12), "Outage of the data centre"
        )
        invoice = agreement._invoice_monthly_fees(until=date(2026, 5, 31))
        self.assertEqual(invoice.invoice_line_ids.price_unit, 3000.0, "April only")
        may = agreement.fee_period_ids.filtered(lambda p: p.date_start == date(2026, 5, 1))
        self.assertEqual((may.state, may.waive_reason), ("waived", "Outage of the data centre"))
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 5, 31))
        self.assertFalse(may.invoice_line_id, "a waived month is not invoiced by the daily job")
        # Waiving an invoiced (posted) month credits it.
        invoice.action_post()
        agreement.with_user(self.manager).action_waive_fee_month(date(2026, 4, 1), "Goodwill")
        self.assertEqual(self._credit_notes().amount_untaxed, 3000.0)
        with self.assertRaises(UserError):
            agreement.with_user(self.manager).action_waive_fee_month(date(2026, 4, 1), "Again")

    def test_cancelled_fee_invoice_reinvoiced_only_on_request(self):
        agreement = self._fee_agreement(self.type_patch, 3000.0, date(2026, 4, 1))
        agreement.fee_date_from = date(2026, 4, 1)
        invoice = agreement._invoice_monthly_fees(until=date(2026, 4, 30))
        invoice.button_cancel()
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 4, 30))
        self.assertEqual(agreement.fee_period_ids.state, "cancelled")
        self.assertEqual(agreement.fee_period_ids.invoice_id, invoice)
        moves = agreement.with_company(agreement.company_id)._invoice_monthly_fees(
            until=date(2026, 4, 30), reinvoice_cancelled=True
        )
        self.assertEqual(moves.amount_untaxed, 3000.0)
        self.assertEqual(agreement.fee_period_ids.state, "invoiced")
