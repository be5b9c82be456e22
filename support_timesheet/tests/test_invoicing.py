from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestInvoicing(SupportTimesheetCase):
    def test_invoices_per_customer_line_per_ticket(self):
        t_a1 = self._ticket(self.contact_a, name="Order import fails")
        t_a2 = self._ticket(self.contact_a, name="Fix stock quants")
        t_b = self._ticket(self.contact_b, name="Correct VAT")
        covered = self._ticket(self.contact_patch, self.cat_tech)
        a1 = self._log(t_a1, 1.0) | self._log(t_a1, 0.5, user=self.consultant2)
        a2 = self._log(t_a2, 0.25)
        b = self._log(t_b, 2.0)
        covered_line = self._log(covered, 3.0)
        outside = self._log(t_b, 4.0, date=self.month_start - relativedelta(days=1))

        wizard = Form(self.env["support.invoice.create"].with_user(self.accountant))
        wizard.date_from = self.month_start
        wizard.date_to = self.month_start + relativedelta(months=1, days=-1)
        action = wizard.save().action_create_invoices()
        moves = self.env["account.move"].search(action["domain"])
        self.assertEqual(len(moves), 2)
        move_a = moves.filtered(lambda m: m.partner_id == self.cust_a)
        move_b = moves.filtered(lambda m: m.partner_id == self.cust_b)
        self.assertEqual(move_a.state, "draft")
        self.assertEqual(move_a.move_type, "out_invoice")
        line_a1 = move_a.invoice_line_ids.filtered(lambda line: line.support_ticket_id == t_a1)
        line_a2 = move_a.invoice_line_ids.filtered(lambda line: line.support_ticket_id == t_a2)
        self.assertEqual(line_a1.quantity, 1.5)
        self.assertEqual(line_a2.quantity, 0.5, "per-request minimum on the invoice line")
        self.assertIn(t_a1.number, line_a1.name)
        self.assertIn("Order import fails", line_a1.name)
        self.assertEqual(line_a1.product_id, self.hour)
        self.assertEqual(line_a1.price_unit, 1000.0)
        self.assertEqual(move_a.amount_untaxed, 2000.0)
        self.assertEqual(move_b.invoice_line_ids.quantity, 2.0)
        self.assertEqual(move_b.amount_untaxed, 2000.0)
        self.assertEqual(a1.support_invoice_line_id, line_a1)
        self.assertEqual(line_a1.support_timesheet_ids, a1)
        self.assertEqual(a2.support_invoice_line_id, line_a2)
        self.assertEqual(set((a1 | a2 | b).mapped("support_billing_status")), {"invoiced"})
        self.assertFalse(covered_line.support_invoice_line_id)
        self.assertFalse(outside.support_invoice_line_id)
        self.assertEqual(outside.support_billing_status, "to_invoice")
        self.assertEqual(t_a1.hours_invoiced, 1.5)
        self.assertEqual(t_a2.hours_invoiced, 0.5)
        self.assertEqual(t_a2.hours_to_invoice, 0.0)
        self.assertEqual(t_a1.support_invoice_count, 1)

        # Running again bills nothing twice.
        self.assertFalse(self._invoice())
        with self.assertRaisesRegex(UserError, "no billable support time"):
            self.env["support.invoice.create"].with_user(self.accountant).create(
                {"date_from": self.month_start, "date_to": self.month_start}
            ).action_create_invoices()

    def test_invoiced_lines_locked(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self._invoice()
        with self.assertRaisesRegex(UserError, "invoiced"):
            line.with_user(self.consultant).write({"unit_amount": 3.0})
        with self.assertRaisesRegex(UserError, "invoiced"):
            line.write({"date": self.month_start + relativedelta(days=1)})
        with self.assertRaisesRegex(UserError, "invoiced"):
            line.unlink()
        self.assertEqual(line.unit_amount, 1.0)

    def test_cancel_releases_lines(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        move = self._invoice()
        move.button_cancel()
        self.assertFalse(line.support_invoice_line_id)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.hours_invoiced, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 1.0)
        line.unit_amount = 2.0
        move2 = self._invoice()
        self.assertEqual(move2.invoice_line_ids.quantity, 2.0)
        self.assertEqual(line.support_invoice_line_id.move_id, move2)

    def test_posted_then_cancelled_and_unlinked_draft(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        move = self._invoice()
        move.action_post()
        self.assertEqual(line.support_billing_status, "invoiced")
        move.button_cancel()
        self.assertEqual(line.support_billing_status, "to_invoice")
        # Reset to draft and posted again, it would bill the released time a second time.
        with self.assertRaisesRegex(UserError, "was released when the invoice was cancelled"):
            move.button_draft()
        self.assertEqual(move.state, "cancel")
        draft = self._invoice()
        draft.unlink()
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertTrue(self._invoice())

    def test_credit_note_releases_lines(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        move = self._invoice()
        move.invoice_date = self.month_start
        move.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Wrong rate"})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        # Released when the credit note is posted, not by its draft.
        self.assertEqual(line.support_billing_status, "invoiced")
        refund.action_post()
        self.assertFalse(line.support_invoice_line_id)
        self.assertEqual(line.support_billing_status, "to_invoice")
        again = self._invoice()
        self.assertEqual(again.invoice_line_ids.support_timesheet_ids, line)

    def test_filters_customers_and_types(self):
        t_a = self._ticket(self.contact_a)
        t_b = self._ticket(self.contact_b)
        self._log(t_a, 1.0)
        self._log(t_b, 1.0)
        self.assertFalse(self._invoice(type_ids=[self.type_maintenance.id]))
        move = self._invoice(self.cust_b, type_ids=[self.type_on_demand.id])
        self.assertEqual(move.partner_id, self.cust_b)
        self.assertEqual(t_a.timesheet_ids.support_billing_status, "to_invoice")

    def test_period_end_before_start(self):
        with self.assertRaisesRegex(UserError, "before it starts"):
            self.env["support.invoice.create"].with_user(self.accountant).create(
                {"date_from": self.month_start, "date_to": self.month_start - relativedelta(days=1)}
            )
        with self.assertRaisesRegex(UserError, "before it starts"):
            self._invoice(date_to=self.month_start - relativedelta(days=1))

    def _prepare_lines(self, lines_per_ticket):
        tickets = self._ticket(self.contact_a) | self._ticket(self.contact_b)
        self.env["account.analytic.line"].with_user(self.consultant).create(
            [
                {
                    "support_ticket_id": ticket.id,
                    "unit_amount": 0.5,
                    "date": self.month_start,
                    "name": f"Work {index}",
                }
                for ticket in tickets
                for index in range(lines_per_ticket)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        return tickets

    def _measured_run(self, lines_per_ticket):
        tickets = self._prepare_lines(lines_per_ticket)
        # counted like assertQueryCount: precommit work included, no random bus gc
        with patch("random.random", lambda: 1):
            self.env.cr.flush()
            start = self.cr.sql_log_count
            moves = self._invoice()
            self.env.flush_all()
            self.env.cr.flush()
            count = self.cr.sql_log_count - start
        self.assertEqual(len(moves), 2)
        self.assertEqual(len(moves.invoice_line_ids.support_timesheet_ids), 2 * lines_per_ticket)
        moves.button_cancel()
        moves.unlink()
        tickets.timesheet_ids.unlink()
        return count

    def test_query_count_independent_of_lines(self):
        """2 or 25 lines per ticket: the same queries (a per-line query would add 46 or more).

        The ORM and the accounting add an occasional query of their own (cache refills, batch
        sizes), hence a margin of 2 queries.
        """
        self._measured_run(1)  # warm-up: caches, sequences
        runs = {size: [self._measured_run(size) for _i in range(2)] for size in (2, 12, 25)}
        small = min(runs[2])
        self.assertLessEqual(max(runs[25]) - small, 2, f"queries by lines per ticket: {runs}")
        self.assertLessEqual(max(runs[12]) - small, 2, f"queries by lines per ticket: {runs}")
        for size in (2, 25):
            tickets = self._prepare_lines(size)
            with self.assertQueryCount(small + 2):
                moves = self._invoice()
            self.assertEqual(len(moves.invoice_line_ids.support_timesheet_ids), 2 * size)
            moves.unlink()
            tickets.timesheet_ids.unlink()

    def test_removed_invoice_line_releases_time(self):
        ticket = self._ticket(self.contact_a)
        other = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self._log(other, 2.0)
        move = self._invoice()
        invoice_line = move.invoice_line_ids.filtered(lambda il: il.support_ticket_id == ticket)
        move.write({"invoice_line_ids": [(2, invoice_line.id)]})
        self.assertFalse(line.support_invoice_line_id)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.hours_to_invoice, 1.0)
        self.assertEqual(other.hours_invoiced, 2.0)

    def test_line_moved_off_ticket(self):
        pack = self._pack(self.cust_a, 5.0)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self.assertEqual(pack.hours_remaining, 4.0)
        line.support_ticket_id = False
        self.assertEqual(line.support_billing_status, "none")
        self.assertEqual(pack.hours_remaining, 5.0)
        self.assertEqual(ticket.hours_logged, 0.0)

    def test_accountant_edits_quantity(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.0)
        move = self._invoice()
        move.invoice_line_ids.quantity = 0.75
        self.assertEqual(ticket.hours_invoiced, 0.75)

    def test_taxes_and_amounts(self):
        """The amounts given up front agree with Odoo's taxes, also for a price-included tax."""
        Tax = self.env["account.tax"]
        excluded = Tax.create({"name": "Moms 25 %", "amount": 25.0, "type_tax_use": "sale"})
        self.hour.taxes_id = excluded
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.25)
        move = self._invoice()
        self.assertEqual(move.amount_untaxed, 1250.0)
        self.assertEqual(move.amount_tax, 312.5)
        self.assertEqual(move.amount_total, 1562.5)
        self.assertEqual(move.invoice_line_ids.price_subtotal, 1250.0)
        self.assertEqual(move.invoice_line_ids.balance, -1250.0)
        self.assertEqual(move.invoice_line_ids.tax_ids, excluded)
        self.assertEqual(sum(move.line_ids.mapped("balance")), 0.0)

        included = Tax.create(
            {"name": "Moms 25 % ink.", "amount": 25.0, "price_include_override": "tax_included"}
        )
        self.hour.taxes_id = included
        other = self._ticket(self.contact_b)
        self._log(other, 2.0)
        move_b = self._invoice()
        self.assertEqual(move_b.amount_total, 2000.0, "the price includes the tax")
        self.assertEqual(move_b.amount_untaxed, 1600.0)
        self.assertEqual(move_b.invoice_line_ids.balance, -1600.0, "Odoo corrected the base")
        self.assertEqual(move_b.amount_tax, 400.0)
        self.assertEqual(sum(move_b.line_ids.mapped("balance")), 0.0)

        # No tax, and hours that the invoice line rounds (1 h 20 min = 1.33 h).
        self.hour.taxes_id = False
        third = self._ticket(self.contact_a)
        self._log(third, 4.0 / 3)
        move_c = self._invoice()
        self.assertEqual(move_c.invoice_line_ids.quantity, 1.33)
        self.assertEqual(move_c.invoice_line_ids.balance, -1330.0)
        self.assertEqual(move_c.amount_untaxed, 1330.0)
        self.assertEqual(move_c.amount_total, 1330.0)
        self.assertFalse(move_c.line_ids.filtered("tax_line_id"))
        self.assertEqual(sum(move_c.line_ids.mapped("balance")), 0.0)

    def test_large_run_in_batches(self):
        """A run larger than a batch gives the same invoices and links as a single batch."""
        tickets = [self._ticket(c) for c in (self.contact_a, self.contact_a, self.contact_b)]
        lines = [self._log(t, hours) for t, hours in zip(tickets, (1.0, 0.25, 2.0), strict=True)]
        with patch("odoo.addons.support_timesheet.models.support_ticket.INVOICE_BATCH_LINES", 1):
            moves = self._invoice()
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.partner_id, self.cust_a | self.cust_b)
        for ticket, line, quantity in zip(tickets, lines, (1.0, 0.5, 2.0), strict=True):
            invoice_line = moves.invoice_line_ids.filtered(
                lambda il, t=ticket: il.support_ticket_id == t
            )
            self.assertEqual(invoice_line.quantity, quantity)
            self.assertEqual(line.support_invoice_line_id, invoice_line)
            self.assertEqual(ticket.hours_invoiced, quantity)
        self.assertEqual(sorted(moves.mapped("amount_untaxed")), [1500.0, 2000.0])
