from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestCreditNotes(SupportTimesheetCase):
    """Credit notes follow Odoo's accounting: a posted credit note releases the work it credits,
    a draft one nothing; *reverse and create a new draft* hands the work to the new draft."""

    def _posted_invoice(self, hours=1.0, partner=None):
        ticket = self._ticket(partner or self.contact_a)
        line = self._log(ticket, hours)
        move = self._invoice()
        move.invoice_date = self.month_start
        move.action_post()
        self.assertEqual(line.support_billing_status, "invoiced")
        return ticket, line, move

    def _reversal(self, move):
        return (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create(
                {"journal_id": move.journal_id.id, "reason": "Fel pris", "date": self.month_start}
            )
        )

    def _credit_note(self, move):
        action = self._reversal(move).refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        return refund

    def test_draft_credit_note_releases_nothing(self):
        ticket, line, move = self._posted_invoice()
        refund = self._credit_note(move)
        self.assertEqual(refund.amount_untaxed, 1000.0)
        self.assertEqual(line.support_invoice_line_id, move.invoice_line_ids)
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertEqual(ticket.hours_invoiced, 1.0)
        self.assertFalse(move.support_released)
        self.assertFalse(self._invoice(), "nothing to bill while the credit note is a draft")
        # Deleting the draft credit note changes nothing either.
        refund.unlink()
        self.assertEqual(line.support_invoice_line_id, move.invoice_line_ids)
        self.assertEqual(ticket.hours_invoiced, 1.0)
        self.assertFalse(self._invoice())

    def test_posted_credit_note_releases_once(self):
        ticket, line, move = self._posted_invoice()
        invoice_line = move.invoice_line_ids
        refund = self._credit_note(move)
        refund.with_user(self.accountant).action_post()
        self.assertTrue(move.support_released)
        self.assertFalse(line.support_invoice_line_id)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.hours_invoiced, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 1.0)
        # The credited invoice still shows what it billed.
        self.assertEqual(invoice_line.support_released_ticket_id, ticket)
        self.assertEqual(invoice_line.support_released_timesheet_ids, line)
        self.assertEqual(invoice_line.quantity, 1.0)
        # Billable once more, never twice.
        again = self._invoice()
        self.assertEqual(again.invoice_line_ids.support_timesheet_ids, line)
        self.assertEqual(again.amount_untaxed, 1000.0)
        self.assertFalse(self._invoice())
        self.assertEqual(ticket.hours_invoiced, 1.0)
        # Neither the credit note nor the credited invoice goes back to draft.
        with self.assertRaisesRegex(UserError, "released"):
            refund.with_user(self.accountant).button_draft()
        with self.assertRaisesRegex(UserError, "released"):
            move.with_user(self.accountant).button_draft()
        self.assertEqual((refund.state, move.state), ("posted", "posted"))

    def test_partial_credit_note_releases_nothing(self):
        ticket, line, move = self._posted_invoice(2.0)
        refund = self._credit_note(move)
        # A goodwill discount: 500 of the 2,000 credited.
        refund.invoice_line_ids.write({"quantity": 0.5})
        refund.action_post()
        self.assertEqual(refund.amount_untaxed, 500.0)
        self.assertFalse(move.support_released)
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertEqual(ticket.hours_invoiced, 2.0)
        self.assertFalse(self._invoice())

    def test_modify_hands_the_work_to_the_new_draft(self):
        # 15 minutes: billed 0.5 h (the minimum per request).
        ticket, line, move = self._posted_invoice(0.25)
        self.assertEqual(move.invoice_line_ids.quantity, 0.5)
        action = self._reversal(move).modify_moves()
        new = self.env["account.move"].browse(action["res_id"])
        refund = move.reversal_move_ids
        self.assertEqual((refund.state, new.state), ("posted", "draft"))
        self.assertTrue(move.support_released)
        new_line = new.invoice_line_ids
        self.assertEqual(new_line.support_ticket_id, ticket)
        self.assertEqual(new_line.quantity, 0.5)
        self.assertEqual(new.amount_untaxed, 500.0)
        self.assertEqual(line.support_invoice_line_id, new_line)
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertEqual(ticket.hours_invoiced, 0.5)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertFalse(self._invoice(), "the new draft bills it: nothing twice")
        self.assertEqual(move.invoice_line_ids.support_released_timesheet_ids, line)
        # Cancelling the new draft releases it again.
        new.button_cancel()
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(self._invoice().amount_untaxed, 500.0)

    def test_modify_fee_invoice_keeps_its_months(self):
        agreement = self.agr_patch
        agreement.fee_date_from = date(self.today.year, self.today.month, 1)
        moves = agreement._invoice_monthly_fees()
        self.assertEqual(len(moves), 1)
        moves.action_post()
        months = agreement.fee_period_ids.mapped("date_start")
        action = self._reversal(moves).modify_moves()
        new = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(agreement.fee_period_ids.mapped("date_start"), months)
        self.assertEqual(agreement.fee_period_ids.invoice_line_id.move_id, new)
        self.assertFalse(agreement._invoice_monthly_fees(), "the month is not invoiced twice")
        self.assertEqual(new.amount_untaxed, moves.amount_untaxed)

    def test_cancelled_invoice_keeps_what_it_billed(self):
        ticket, line, move = self._posted_invoice()
        invoice_line = move.invoice_line_ids
        move.button_cancel()
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(invoice_line.support_released_ticket_id, ticket)
        self.assertEqual(invoice_line.support_released_timesheet_ids, line)
        self.assertEqual(self._invoice().amount_untaxed, 1000.0)

    def test_credit_note_of_pack_sale_when_posted(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.cust_b.id,
                "invoice_date": self.month_start,
                "invoice_line_ids": [(0, 0, {"product_id": self.pack_25.id, "quantity": 1})],
            }
        )
        invoice.action_post()
        pack = self.env["support.hour.pack"].search(
            [("invoice_line_id", "in", invoice.invoice_line_ids.ids)]
        )
        self.assertEqual(pack.hours, 25.0)
        refund = self._credit_note(invoice)
        self.assertTrue(pack.exists(), "a draft credit note leaves the pack")
        refund.action_post()
        self.assertFalse(pack.exists())
