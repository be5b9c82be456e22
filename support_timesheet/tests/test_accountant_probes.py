from datetime import date

from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SupportTimesheetCase

TEN_MINUTES = 10 / 60  # as the timesheet's hh:mm widget stores 00:10


@tagged("post_install", "-at_install")
class TestAccountantProbes(SupportTimesheetCase):
    """Issue 17's checks as an accountant runs them: each invoicing path run three times with
    its drafts open, each undo re-invoiced three times, and credit notes made with Odoo's own
    reversal wizard filled like the invoice they credit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.month_end = cls.month_start + relativedelta(months=1, days=-1)
        cls.Move = cls.env["account.move"]
        cls.salesperson = cls._user("st_probe_sales", "account.group_account_invoice")
        cls.terms = cls.env.ref("account.account_payment_term_30days")
        cls.cust_a.write(
            {
                "support_invoice_ref": "PO 17-A",
                "property_payment_term_id": cls.terms.id,
                "user_id": cls.salesperson.id,
            }
        )
        cls.billing_a = cls.env["res.partner"].create(
            {"name": "Kund A Fakturor", "type": "invoice", "parent_id": cls.cust_a.id}
        )

    # ------------------------------------------------------------------ helpers
    def _moves_of(self, *customers):
        return self.Move.search(
            [
                ("commercial_partner_id", "in", [customer.id for customer in customers]),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ]
        )

    def _wizard(self, date_from=None, date_to=None):
        """The accountant's *Invoice Support Time* wizard, its button pressed."""
        wizard = (
            self.env["support.invoice.create"]
            .with_user(self.accountant)
            .create(
                {"date_from": date_from or self.month_start, "date_to": date_to or self.month_end}
            )
        )
        return wizard.action_create_invoices()

    def _queue(self):
        wizard = (
            self.env["support.invoice.create"]
            .with_user(self.accountant)
            .create({"date_from": self.month_start, "date_to": self.month_end})
        )
        return self.env["support.invoice.run"].browse(wizard.action_run_in_background()["res_id"])

    def _three_runs(self, date_from=None):
        """The wizard's run three times (the last two over a wider, overlapping period): the
        invoices they made."""
        made = self.Move
        for index in range(3):
            made |= self._invoice(
                date_from=(date_from or self.month_start) - relativedelta(months=index),
                date_to=self.month_end + relativedelta(months=index),
            )
        return made

    def _reversal(self, move, reason="Fel pris"):
        return (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": reason, "date": self.month_start})
        )

    def _assert_sendable(self, moves):
        """Every invoice has a line, no line has zero hours or a zero amount."""
        for move in moves:
            lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
            self.assertTrue(lines, f"{move.display_name} is empty")
            for line in lines:
                self.assertGreater(line.quantity, 0.0, line.name)
                self.assertFalse(move.currency_id.is_zero(line.price_subtotal), line.name)

    def _net_billed(self, customer):
        """What the customer is billed, drafts included: invoices less credit notes."""
        moves = self._moves_of(customer).filtered(lambda m: m.state != "cancel")
        return sum(m.amount_untaxed_signed for m in moves)

    # ------------------------------------------------------------------ three runs
    def test_every_path_run_three_times_with_drafts_open(self):
        minimum = self._ticket(self.contact_a, name="Two short calls")
        for _i in range(2):
            self._log(minimum, TEN_MINUTES)  # 0.33 h, billed at the 0.5 h minimum
        self._log(self._ticket(self.contact_b, name="Import"), 1.5)
        fee_customer = self._customer("Avgift Tre AB", support_invoice_ref="KST 3")
        agreement = self._agreement(
            fee_customer,
            self.type_patch,
            date_start=self.month_start - relativedelta(months=2),
            monthly_fee=600.0,
        )

        # The wizard: the first run invoices, the next two (overlapping periods) add nothing.
        action = self._wizard()
        first = self.Move.search(action["domain"])
        self.assertEqual(
            {move.commercial_partner_id: move.amount_untaxed for move in first},
            {self.cust_a: 500.0, self.cust_b: 1500.0},
        )
        self.assertEqual(first.mapped("state"), ["draft", "draft"])
        for date_from, date_to in (
            (self.month_start, self.month_end),
            (self.month_start - relativedelta(months=1), self.month_end + relativedelta(months=1)),
        ):
            with self.assertRaises(UserError):
                self._wizard(date_from, date_to)
        # Background runs beside the manual one, two queued together and a third: nothing.
        runs = self._queue() | self._queue()
        self.env["support.invoice.run"]._cron_process_runs()
        runs |= self._queue()
        self.env["support.invoice.run"]._cron_process_runs()
        self.assertEqual(runs.mapped("state"), ["done"] * 3)
        self.assertFalse(runs.invoice_ids)
        self.assertEqual(self._moves_of(self.cust_a, self.cust_b), first)

        # The monthly fee job three times: one invoice of the three months, then nothing; the
        # agreement's button says so.
        Agreement = self.env["support.agreement"]
        fee_runs = [
            Agreement._cron_invoice_monthly_fees().filtered(
                lambda m: m.commercial_partner_id == fee_customer
            )
            for _run in range(3)
        ]
        self.assertEqual(fee_runs[0].invoice_line_ids.mapped("price_unit"), [600.0] * 3)
        self.assertEqual(fee_runs[0].ref, "KST 3")
        self.assertFalse(fee_runs[1] | fee_runs[2])
        with self.assertRaises(UserError):
            agreement.with_user(self.accountant).action_invoice_monthly_fees()
        self.assertEqual(self._moves_of(fee_customer), fee_runs[0])

        everything = self._moves_of(self.cust_a, self.cust_b, fee_customer)
        self.assertEqual(len(everything), 3)
        self._assert_sendable(everything)
        self.assertEqual(minimum.hours_invoiced, 0.5)
        self.assertEqual(minimum.hours_to_invoice, 0.0)

    def test_each_undo_then_three_runs(self):
        """Cancel, credit note (draft, deleted draft, posted) and *reverse and create a new
        draft*, each followed by three invoicing runs: the work is billed again exactly once,
        never twice, no 0-hour line, no empty invoice."""
        ticket = self._ticket(self.contact_a, name="Month-end report")
        self._log(ticket, 2.0)
        invoice = self._invoice()
        invoice.invoice_date = self.month_start
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 2000.0)

        # A draft credit note, then deleted: nothing to bill again.
        draft = self.Move.browse(self._reversal(invoice).refund_moves()["res_id"])
        self.assertEqual(draft.state, "draft")
        self.assertFalse(self._three_runs())
        draft.unlink()
        self.assertFalse(self._three_runs())
        self.assertEqual(ticket.hours_invoiced, 2.0)

        # Posted: billed again once.
        credit = self.Move.browse(self._reversal(invoice).refund_moves()["res_id"])
        credit.action_post()
        again = self._three_runs()
        self.assertEqual(len(again), 1)
        self.assertEqual((again.invoice_line_ids.quantity, again.amount_untaxed), (2.0, 2000.0))

        # That draft cancelled: billed again once.
        again.button_cancel()
        third = self._three_runs()
        self.assertEqual(third.amount_untaxed, 2000.0)

        # Posted, then reversed with a new draft: the new draft bills it, the runs nothing.
        third.invoice_date = self.month_start
        third.action_post()
        new = self.Move.browse(self._reversal(third).modify_moves()["res_id"])
        self.assertEqual((new.state, new.amount_untaxed), ("draft", 2000.0))
        self.assertFalse(self._three_runs())
        # The new draft deleted: billed again once.
        new.unlink()
        last = self._three_runs()
        self.assertEqual(last.amount_untaxed, 2000.0)

        self.assertEqual(self._net_billed(self.cust_a), 2000.0, "billed once, nothing left")
        self._assert_sendable(self._moves_of(self.cust_a))

    def test_fee_undo_then_three_runs(self):
        customer = self._customer("Avgift Kredit AB")
        agreement = self._agreement(
            customer, self.type_patch, date_start=date(2026, 3, 1), monthly_fee=450.0
        )
        Agreement = self.env["support.agreement"]

        def fee_runs():
            made = self.Move
            for _run in range(3):
                made |= Agreement._cron_invoice_monthly_fees(until=date(2026, 3, 31)).filtered(
                    lambda m: m.commercial_partner_id == customer
                )
            return made

        invoice = fee_runs()
        self.assertEqual(invoice.amount_untaxed, 450.0)
        invoice.action_post()
        draft = self.Move.browse(self._reversal(invoice).refund_moves()["res_id"])
        self.assertFalse(fee_runs(), "a draft credit note releases nothing")
        draft.unlink()
        self.assertFalse(fee_runs())
        credit = self.Move.browse(self._reversal(invoice).refund_moves()["res_id"])
        credit.action_post()
        # Credited on purpose: the job leaves the month; the agreement's button bills it once.
        self.assertFalse(fee_runs())
        again = agreement._invoice_monthly_fees(until=date(2026, 3, 31), reinvoice_cancelled=True)
        self.assertEqual(again.amount_untaxed, 450.0)
        self.assertFalse(fee_runs())
        for _run in range(2):
            self.assertFalse(
                agreement._invoice_monthly_fees(until=date(2026, 3, 31), reinvoice_cancelled=True)
            )
        self.assertEqual(self._net_billed(customer), 450.0)
        self._assert_sendable(self._moves_of(customer))

    # ------------------------------------------------------------------ credit note values
    def test_credit_notes_of_a_time_invoice_filled_as_the_invoice(self):
        """Odoo's reversal wizard on a support invoice: the credit note, and the new draft of
        *reverse and create a new draft*, go to the invoice address with the customer's
        reference, salesperson, sales journal and each line's analytic distribution."""
        # Two tickets in two projects: each line carries its own ticket's project.
        operations = self.env["project.project"].create(
            {"name": "Kund A drift", "allow_timesheets": True}
        )
        self.assertTrue(operations.account_id)
        tickets = self._ticket(self.contact_a, name="Order import") | self._ticket(
            self.contact_a, name="Stock report", project_id=operations.id
        )
        for ticket, hours in zip(tickets, (1.0, 2.0), strict=True):
            self._log(ticket, hours)
        invoice = self._invoice()
        invoice.invoice_date = self.month_start
        invoice.action_post()
        accounts = tickets[0]._support_get_project().account_id | operations.account_id
        self.assertEqual(len(accounts), 2)
        distributions = {
            ticket.number: {str(ticket._support_get_project().account_id.id): 100.0}
            for ticket in tickets
        }

        def assert_filled(move, move_type):
            self.assertEqual(move.move_type, move_type)
            self.assertEqual(move.partner_id, self.billing_a, "the invoice address")
            self.assertEqual(move.ref, "PO 17-A", "the customer's reference")
            self.assertEqual(move.invoice_user_id, self.salesperson)
            self.assertEqual(move.journal_id, invoice.journal_id)
            self.assertEqual(move.journal_id.type, "sale")
            self.assertEqual(move.fiscal_position_id, invoice.fiscal_position_id)
            self.assertEqual(len(move.invoice_line_ids), 2)
            for line in move.invoice_line_ids:
                number = line.name.split(" - ")[0]
                self.assertEqual(line.analytic_distribution, distributions[number], line.name)
            self.assertEqual(move.amount_untaxed, 3000.0)

        credit = self.Move.browse(self._reversal(invoice).refund_moves()["res_id"])
        assert_filled(credit, "out_refund")
        self.assertIn("Fel pris", str(credit.narration), "the reason, on the credit note")
        self.assertIn(invoice.name, str(credit.narration))
        credit.action_post()
        # The revenue reached each project's analytic account, and the credit note takes it back.
        revenue = self.env["account.analytic.line"].search(
            [("move_line_id", "in", invoice.invoice_line_ids.ids)]
        )
        self.assertEqual(
            {line.account_id: line.amount for line in revenue},
            {accounts[0]: 1000.0, accounts[1]: 2000.0},
        )
        reversed_revenue = self.env["account.analytic.line"].search(
            [("move_line_id", "in", credit.invoice_line_ids.ids)]
        )
        self.assertEqual(
            {line.account_id: line.amount for line in reversed_revenue},
            {accounts[0]: -1000.0, accounts[1]: -2000.0},
        )

        again = self._invoice()
        again.invoice_date = self.month_start
        again.action_post()
        action = self._reversal(again, reason="Ny kontakt").modify_moves()
        new = self.Move.browse(action["res_id"])
        assert_filled(new, "out_invoice")
        self.assertEqual(new.invoice_payment_term_id, self.terms)
        assert_filled(again.reversal_move_ids, "out_refund")
