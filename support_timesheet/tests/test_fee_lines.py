import importlib.util
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import SupportTimesheetCase

APRIL = date(2026, 4, 1)
APRIL_END = date(2026, 4, 30)  # 30 days
MAY_END = date(2026, 5, 31)


@tagged("post_install", "-at_install")
class TestFeeLineInvoicing(SupportTimesheetCase):
    """The monthly fee invoiced per fee line: one invoice line each, prorated by the line's own
    days, credited, waived and closed per line, each month once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user("st_fl_manager", "support_contract.group_support_manager")
        cls.customer = cls._customer("Miljöavgift AB")
        Environment = cls.env["support.environment"]
        cls.prod = Environment.create({"partner_id": cls.customer.id, "name": "prod.miljo.se"})
        cls.staging = Environment.create(
            {
                "partner_id": cls.customer.id,
                "name": "staging.miljo.se",
                "environment_type": "staging",
            }
        )
        cls.fee_product = cls.env.ref("support_timesheet.product_patch_fee")

    def _fee_agreement(self, *lines):
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.type_patch.id,
                "date_start": APRIL,
                "user_id": self.manager.id,
                "fee_line_ids": [(0, 0, vals) for vals in lines],
            }
        )
        agreement.action_activate()
        return agreement

    def _two_environments(self):
        """Production 300 a month from the start; staging 2 x 150 from 16 April."""
        agreement = self._fee_agreement(
            {"environment_id": self.prod.id, "price_unit": 300.0},
            {
                "environment_id": self.staging.id,
                "quantity": 2,
                "price_unit": 150.0,
                "date_start": date(2026, 4, 16),
            },
        )
        prod, staging = agreement.fee_line_ids
        return agreement, prod, staging

    def _lines(self, moves):
        return sorted((line.name, line.price_unit) for line in moves.invoice_line_ids)

    def _credit_notes(self):
        return self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_refund")]
        )

    def _reversal(self, move):
        return (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Fel", "date": APRIL_END})
        )

    def test_one_invoice_line_per_fee_line(self):
        agreement, prod, staging = self._two_environments()
        self.assertEqual(agreement.monthly_fee, 600.0)
        invoice = agreement._invoice_monthly_fees(until=APRIL_END)
        name = agreement.name
        prod_label = ": Server Patch Agreement, prod.miljo.se (Production)"
        staging_label = ": Server Patch Agreement, staging.miljo.se (Staging)"
        self.assertEqual(
            self._lines(invoice),
            [
                (f"{name}{prod_label}, 2026-04-01 - 2026-04-30", 300.0),
                (f"{name}{staging_label}, 2026-04-16 - 2026-04-30", 150.0),
            ],
        )
        self.assertEqual(invoice.amount_untaxed, 450.0, "staging added mid-month: 15 of 30 days")
        self.assertEqual(invoice.invoice_line_ids.product_id, self.fee_product)
        self.assertEqual(agreement.fee_period_ids.fee_line_id, prod | staging)
        # Run again, by the daily job too: nothing new.
        self.assertFalse(agreement._invoice_monthly_fees(until=APRIL_END))
        again = self.env["support.agreement"]._cron_invoice_monthly_fees(until=APRIL_END)
        self.assertNotIn(self.customer, again.partner_id)
        may = agreement._invoice_monthly_fees(until=MAY_END)
        self.assertEqual(may.amount_untaxed, 600.0)
        self.assertEqual(len(may.invoice_line_ids), 2)
        self.assertFalse(agreement._invoice_monthly_fees(until=MAY_END))
        self.assertEqual(len(agreement.fee_period_ids), 4)
        # A line added to a month already invoiced: only its own days, once.
        backup = self.env["support.agreement.fee.line"].create(
            {
                "agreement_id": agreement.id,
                "name": "Backups",
                "price_unit": 310.0,
                "date_start": date(2026, 5, 22),
            }
        )
        late = agreement._invoice_monthly_fees(until=MAY_END)
        self.assertEqual(
            self._lines(late),
            [(f"{name}: Server Patch Agreement, Backups, 2026-05-22 - 2026-05-31", 100.0)],
        )
        self.assertEqual(backup.fee_period_ids.invoice_line_id, late.invoice_line_ids)
        self.assertFalse(agreement._invoice_monthly_fees(until=MAY_END))

    def test_line_prorated_to_nothing_makes_no_invoice_line(self):
        agreement = self._fee_agreement(
            {"environment_id": self.prod.id, "price_unit": 300.0},
            {"name": "Tiny", "price_unit": 0.1, "date_start": date(2026, 4, 30)},
        )
        for _run in range(2):
            invoice = agreement._invoice_monthly_fees(until=APRIL_END)
            if _run:
                self.assertFalse(invoice)
                continue
            self.assertEqual(len(invoice.invoice_line_ids), 1)
            self.assertEqual(invoice.amount_untaxed, 300.0)
        self.assertFalse(agreement.fee_line_ids[1].fee_period_ids)
        self.assertEqual(
            agreement._support_fee_months_due(APRIL, APRIL_END), {agreement.id: [APRIL]}
        )

    def test_retired_line_prorated_and_credited(self):
        agreement, prod, staging = self._two_environments()
        # Retired before its month is invoiced: only its days.
        staging.with_user(self.manager).date_end = date(2026, 4, 20)
        invoice = agreement._invoice_monthly_fees(until=APRIL_END)
        self.assertEqual(invoice.amount_untaxed, 300.0 + 50.0, "staging 5 of 30 days")
        invoice.action_post()
        # Production retired on the 10th once April is posted: 20 days credited, once.
        prod.with_user(self.manager).date_end = date(2026, 4, 10)
        credit = self._credit_notes()
        self.assertEqual(len(credit), 1)
        self.assertEqual(credit.state, "draft")
        self.assertEqual(credit.amount_untaxed, 200.0)
        self.assertIn("prod.miljo.se", credit.invoice_line_ids.name)
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=MAY_END)
        prod.with_user(self.manager).date_end = date(2026, 4, 10)
        self.assertEqual(self._credit_notes(), credit, "credited once")
        # No month after a line's end; the agreement goes on without a fee line in force.
        self.assertEqual(len(agreement.fee_period_ids), 2)
        self.assertEqual(agreement.monthly_fee, 0.0)
        # A line with invoiced months keeps its history, on its agreement.
        with self.assertRaisesRegex(UserError, "set its end date"):
            prod.with_user(self.manager).unlink()
        self.assertTrue(prod.exists())
        other = self._fee_agreement({"name": "Other", "price_unit": 10.0})
        with self.assertRaisesRegex(UserError, "cannot move to another agreement"):
            prod.with_user(self.manager).agreement_id = other
        self.assertEqual(prod.agreement_id, agreement)
        self.assertFalse(
            other._invoice_monthly_fees(until=APRIL_END).invoice_line_ids.filtered(
                lambda line: "prod.miljo.se" in line.name
            )
        )

    def test_retired_line_with_draft_invoice_corrects_the_draft(self):
        agreement, prod, staging = self._two_environments()
        draft = agreement._invoice_monthly_fees(until=APRIL_END)
        staging.with_user(self.manager).date_end = date(2026, 4, 20)
        self.assertFalse(self._credit_notes())
        self.assertEqual(draft.amount_untaxed, 350.0)
        self.assertEqual(staging.fee_period_ids.amount, 50.0)
        self.assertEqual(prod.fee_period_ids.amount, 300.0)

    def test_closed_early_credits_each_line(self):
        agreement, prod, staging = self._two_environments()
        agreement._invoice_monthly_fees(until=APRIL_END).action_post()
        agreement.with_user(self.manager).write({"state": "closed", "date_end": date(2026, 4, 10)})
        credit = self._credit_notes()
        self.assertEqual(len(credit.invoice_line_ids), 2)
        self.assertEqual(
            sorted(credit.invoice_line_ids.mapped("price_unit")),
            [150.0, 200.0],
            "production 20 of 30 days, staging all its 15 days",
        )
        self.assertEqual(credit.amount_untaxed, 350.0)
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=MAY_END)
        self.assertEqual(self._credit_notes(), credit)
        self.assertFalse(agreement._invoice_monthly_fees(until=MAY_END))

    def test_waive_one_line_then_the_month(self):
        agreement, prod, staging = self._two_environments()
        agreement._invoice_monthly_fees(until=APRIL_END).action_post()
        as_manager = agreement.with_user(self.manager)
        as_manager.action_waive_fee_month(APRIL, "Staging down", fee_line_id=staging.id)
        credit = self._credit_notes()
        self.assertEqual(credit.amount_untaxed, 150.0)
        self.assertIn("staging.miljo.se", credit.invoice_line_ids.name)
        self.assertEqual(staging.fee_period_ids.state, "waived")
        self.assertEqual(prod.fee_period_ids.state, "invoiced")
        as_manager.action_waive_fee_month(APRIL, "Goodwill")
        self.assertEqual(sorted(self._credit_notes().mapped("amount_untaxed")), [150.0, 300.0])
        with self.assertRaisesRegex(UserError, "already waived"):
            as_manager.action_waive_fee_month(APRIL, "Again")
        # A waived month of a line not invoiced yet: the fee run skips it, twice.
        as_manager.action_waive_fee_month(date(2026, 5, 3), "Move", fee_line_id=prod.id)
        for _run in range(2):
            may = agreement._invoice_monthly_fees(until=MAY_END)
            if _run:
                self.assertFalse(may)
            else:
                self.assertEqual(self._lines(may)[0][1], 300.0)
                self.assertEqual(len(may.invoice_line_ids), 1, "staging only")

    def test_credit_note_and_cancel_release_per_line(self):
        agreement, prod, staging = self._two_environments()
        invoice = agreement._invoice_monthly_fees(until=APRIL_END)
        invoice.action_post()
        refund_action = self._reversal(invoice).refund_moves()
        refund = self.env["account.move"].browse(refund_action["res_id"])
        refund.action_post()
        self.assertEqual(agreement.fee_period_ids.mapped("state"), ["cancelled", "cancelled"])
        self.env["support.agreement"]._cron_invoice_monthly_fees(until=APRIL_END)
        self.assertEqual(len(agreement.fee_period_ids), 2, "credited on purpose: not again")
        again = agreement._invoice_monthly_fees(until=APRIL_END, reinvoice_cancelled=True)
        self.assertEqual(again.amount_untaxed, 450.0)
        self.assertEqual(len(again.invoice_line_ids), 2)
        self.assertFalse(agreement._invoice_monthly_fees(until=APRIL_END, reinvoice_cancelled=True))
        # The new one cancelled and re-invoiced: the same amounts.
        again.button_cancel()
        third = agreement._invoice_monthly_fees(until=APRIL_END, reinvoice_cancelled=True)
        self.assertEqual(third.amount_untaxed, 450.0)

    def test_price_change_applies_to_later_months(self):
        """Decided: a month invoiced keeps the price it was invoiced at; a new price applies to
        the months not invoiced yet."""
        agreement, prod, staging = self._two_environments()
        april = agreement._invoice_monthly_fees(until=APRIL_END)
        prod.with_user(self.manager).price_unit = 400.0
        self.assertEqual(agreement.monthly_fee, 700.0)
        self.assertEqual(april.amount_untaxed, 450.0)
        self.assertEqual(prod.fee_period_ids.amount, 300.0)
        self.assertFalse(agreement._invoice_monthly_fees(until=APRIL_END))
        may = agreement._invoice_monthly_fees(until=MAY_END)
        self.assertEqual(may.amount_untaxed, 700.0)
        # Closing early credits April at the price it was invoiced at.
        april.action_post()
        may.action_post()
        agreement.with_user(self.manager).write({"state": "closed", "date_end": date(2026, 5, 31)})
        self.assertFalse(self._credit_notes())
        agreement.with_user(self.manager).write({"date_end": date(2026, 4, 30)})
        self.assertEqual(self._credit_notes().amount_untaxed, 700.0, "May, at May's price")

    def test_migrated_months_stay_invoiced(self):
        """19.0.1.1.0: months invoiced before fee lines belong to the agreement's one line."""
        agreement = self._fee_agreement({"price_unit": 600.0})
        agreement._invoice_monthly_fees(until=APRIL_END)
        self.env.flush_all()
        # As before the upgrade: the month without a line, no line, the fee in its column.
        cr = self.env.cr
        cr.execute(
            "UPDATE support_agreement_fee_period SET fee_line_id = NULL WHERE agreement_id = %s",
            (agreement.id,),
        )
        cr.execute(
            "DELETE FROM support_agreement_fee_line WHERE agreement_id = %s", (agreement.id,)
        )
        cr.execute("UPDATE support_agreement SET monthly_fee = 600 WHERE id = %s", (agreement.id,))
        self.env.invalidate_all()
        # A month from before fee lines is the whole agreement's: not invoiced again.
        self.assertFalse(agreement.fee_line_ids)
        path = file_path("support_timesheet/migrations/19.0.1.1.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("support_timesheet_post_migrate_11", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for _run in range(2):
            module.migrate(cr, "19.0.1.0.0")
            self.env.invalidate_all()
            self.assertEqual(len(agreement.fee_line_ids), 1)
            self.assertEqual(agreement.fee_line_ids.price_unit, 600.0)
            self.assertEqual(agreement.fee_line_ids.product_id, self.fee_product)
            self.assertEqual(agreement.monthly_fee, 600.0)
            self.assertEqual(agreement.fee_period_ids.fee_line_id, agreement.fee_line_ids)
        self.assertFalse(agreement._invoice_monthly_fees(until=APRIL_END), "April once")
        self.assertEqual(agreement._invoice_monthly_fees(until=MAY_END).amount_untaxed, 600.0)

    def test_month_from_before_fee_lines_not_invoiced_again(self):
        """A month invoiced for the whole agreement (no fee line) takes every line's month."""
        agreement, prod, staging = self._two_environments()
        agreement._invoice_monthly_fees(until=APRIL_END)
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM support_agreement_fee_period WHERE fee_line_id = %s", (staging.id,)
        )
        self.env.cr.execute(
            "UPDATE support_agreement_fee_period SET fee_line_id = NULL WHERE fee_line_id = %s",
            (prod.id,),
        )
        self.env.invalidate_all()
        self.assertFalse(agreement._invoice_monthly_fees(until=APRIL_END))
        self.assertEqual(agreement._invoice_monthly_fees(until=MAY_END).amount_untaxed, 600.0)
