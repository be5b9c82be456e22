from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged

from ..models import support_invoice_run
from .common import SupportTimesheetCase

TEN_MINUTES = 10 / 60  # as the timesheet's hh:mm widget stores 00:10


@tagged("post_install", "-at_install")
class TestInvoiceRepeat(SupportTimesheetCase):
    """Every invoicing path, run again with its drafts open, adds nothing; no invoice line has
    zero hours."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.month_end = cls.month_start + relativedelta(months=1, days=-1)

    def _minutes_ticket(self, contact=None):
        """Two lines of ten minutes, under the 0.5 h minimum: the minimum sits on the line of
        the first invoice (2 x 0.1667 h billed and 0.1667 h of minimum, 0.5 h invoiced)."""
        ticket = self._ticket(contact or self.contact_a)
        for _i in range(2):
            self._log(ticket, TEN_MINUTES)
        return ticket

    def _assert_no_zero_lines(self):
        lines = self.env["account.move.line"].search(
            [("support_ticket_id", "!=", False), ("display_type", "=", "product")]
        )
        self.assertFalse(lines.filtered(lambda line: line.quantity <= 0), "0.00 h lines")

    def test_minimum_on_draft_not_billed_again(self):
        """The reported bug: a second run made a draft of 0.00 h lines for the tickets whose
        minimum sits on the first draft."""
        ticket = self._minutes_ticket()
        other = self._ticket(self.contact_a)
        self._log(other, 0.25)
        first = self._invoice()
        self.assertEqual(len(first), 1)
        line = first.invoice_line_ids.filtered(lambda il: il.support_ticket_id == ticket)
        self.assertEqual(line.quantity, 0.5)
        self.assertEqual(len(line.support_timesheet_ids), 2)
        self.assertEqual(ticket.hours_extra_to_invoice, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        for _run in range(2):
            self.assertFalse(self._invoice())
            self.assertFalse(self._invoice(self.cust_a))
        # Overlapping periods: from last month to next.
        self.assertFalse(
            self._invoice(
                date_from=self.month_start - relativedelta(months=1),
                date_to=self.month_end + relativedelta(months=1),
            )
        )
        self.assertEqual(first.invoice_line_ids.mapped("quantity"), [0.5, 0.5])
        self._assert_no_zero_lines()

    def test_ticket_without_a_positive_quantity_gets_no_line(self):
        """Time worth less than the invoice's precision waits for the ticket's next line."""
        self.type_on_demand.min_billed_hours = 0.0
        tiny = self._ticket(self.contact_b)
        line = self._log(tiny, 0.002)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertFalse(self._invoice())
        self.assertFalse(self._invoice())
        more = self._log(tiny, 1.0)
        move = self._invoice()
        self.assertEqual(move.invoice_line_ids.quantity, 1.0)
        self.assertEqual(move.invoice_line_ids.support_timesheet_ids, line | more)
        self.assertFalse(self._invoice())
        self._assert_no_zero_lines()

    def test_background_runs_beside_manual(self):
        ticket = self._minutes_ticket()
        self._log(self._ticket(self.contact_b), 1.0)

        def queue():
            wizard = (
                self.env["support.invoice.create"]
                .with_user(self.accountant)
                .create({"date_from": self.month_start, "date_to": self.month_end})
            )
            action = wizard.action_run_in_background()
            return self.env["support.invoice.run"].browse(action["res_id"])

        first, second = queue(), queue()
        with patch.object(support_invoice_run, "RUN_BATCH_CUSTOMERS", 1):
            self.env["support.invoice.run"]._cron_process_runs()
        self.assertEqual(len(first.invoice_ids), 2)
        self.assertFalse(second.invoice_ids)
        self.assertEqual(second.state, "done")
        self.assertFalse(self._invoice(), "a manual run after the background ones")
        third = queue()
        with patch.object(support_invoice_run, "RUN_BATCH_CUSTOMERS", 1):
            self.env["support.invoice.run"]._cron_process_runs()
        self.assertFalse(third.invoice_ids)
        line = first.invoice_ids.invoice_line_ids.filtered(
            lambda il: il.support_ticket_id == ticket
        )
        self.assertEqual(line.quantity, 0.5)
        self._assert_no_zero_lines()

    def test_reinvoice_after_cancel_twice(self):
        ticket = self._minutes_ticket()
        move = self._invoice()
        move.button_cancel()
        self.assertEqual(ticket.hours_invoiced, 0.0)
        again = self._invoice()
        self.assertEqual(again.invoice_line_ids.quantity, 0.5)
        self.assertEqual(len(again.invoice_line_ids.support_timesheet_ids), 2)
        self.assertFalse(self._invoice())
        self.assertFalse(self._invoice())
        self._assert_no_zero_lines()

    def test_reinvoice_after_credit_note_twice(self):
        ticket = self._minutes_ticket()
        move = self._invoice()
        move.invoice_date = self.month_start
        move.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Wrong contact"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertFalse(self._invoice(), "a draft credit note releases nothing")
        refund.action_post()
        self.assertEqual(ticket.hours_invoiced, 0.0)
        again = self._invoice()
        self.assertEqual(again.invoice_line_ids.quantity, 0.5)
        self.assertEqual(again.amount_untaxed, 500.0)
        self.assertFalse(self._invoice())
        self.assertFalse(self._invoice())
        self._assert_no_zero_lines()

    def test_fee_runs_twice_with_drafts_open(self):
        customer = self._customer("Avgift Två AB")
        agreement = self._agreement(
            customer, self.type_patch, date_start=date(2026, 1, 1), monthly_fee=600.0
        )
        Agreement = self.env["support.agreement"]
        first = Agreement._cron_invoice_monthly_fees(until=date(2026, 2, 28))
        mine = first.filtered(lambda m: m.partner_id == customer)
        self.assertEqual(mine.invoice_line_ids.mapped("price_unit"), [600.0, 600.0])
        again = Agreement._cron_invoice_monthly_fees(until=date(2026, 2, 28))
        self.assertNotIn(customer, again.partner_id)
        self.assertEqual(len(agreement.fee_period_ids), 2)
        # The agreement's button, twice: only months not invoiced yet, then nothing.
        self.assertFalse(
            agreement._invoice_monthly_fees(until=date(2026, 2, 28), reinvoice_cancelled=True)
        )
        # Cancelled on purpose, re-invoiced by the button once.
        mine.button_cancel()
        again = Agreement._cron_invoice_monthly_fees(until=date(2026, 2, 28))
        self.assertNotIn(customer, again.partner_id)
        redo = agreement._invoice_monthly_fees(until=date(2026, 2, 28), reinvoice_cancelled=True)
        self.assertEqual(redo.invoice_line_ids.mapped("price_unit"), [600.0, 600.0])
        self.assertFalse(
            agreement._invoice_monthly_fees(until=date(2026, 2, 28), reinvoice_cancelled=True)
        )
