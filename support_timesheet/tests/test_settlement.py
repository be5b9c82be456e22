from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestSettlement(SupportTimesheetCase):
    """The minimum per request is billed in full, work inside an invoiced minimum adds no
    invoice line, refused work is settled by a manager's decision."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user(
            "st_settle_manager",
            "support_contract.group_support_manager",
        )

    def _leaks(self, tickets):
        return self.env["account.analytic.line"].search(
            [("support_ticket_id", "in", tickets.ids), ("support_is_settled", "=", False)]
        )

    def test_minimum_billed_in_full_when_pack_runs_out(self):
        pack = self._pack(self.cust_a, 0.2)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 0.1)  # a 6-minute request
        self.assertEqual(line.support_billing_status, "pack")
        self.assertEqual(ticket.hours_billed, 0.5)
        self.assertEqual(ticket.hours_from_pack, 0.2)
        self.assertEqual(ticket.hours_to_invoice, 0.3)
        self.assertEqual(pack.hours_remaining, 0.0)
        # The background run finds the customer too.
        customers = self.env["support.ticket"]._support_billable_partners(
            self.env["res.partner"], self.month_start, self.today
        )
        self.assertIn(self.cust_a, customers)
        move = self._invoice()
        self.assertEqual(move.invoice_line_ids.support_ticket_id, ticket)
        self.assertEqual(move.invoice_line_ids.quantity, 0.3)
        self.assertEqual(move.amount_untaxed, 300.0)
        self.assertEqual(ticket.hours_invoiced, 0.3)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertFalse(self._invoice(), "billed once")

    def test_work_within_invoiced_minimum_adds_no_line(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.25)
        first = self._invoice()
        self.assertEqual(first.invoice_line_ids.quantity, 0.5)
        # 6 more minutes: inside the half hour already invoiced.
        inside = self._log(ticket, 0.1)
        self.assertEqual(inside.support_billing_status, "within_minimum")
        self.assertEqual(inside.support_billed_hours, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertEqual(ticket.hours_extra_to_invoice, 0.0)
        self.assertFalse(self._invoice(), "no zero-hour invoice line")
        self.assertFalse(self._leaks(ticket))
        # 24 more minutes: 0.15 h still inside the minimum, 0.25 h beyond it.
        beyond = self._log(ticket, 0.4)
        self.assertEqual(beyond.support_billing_status, "to_invoice")
        self.assertEqual(beyond.support_billed_hours, 0.25)
        second = self._invoice()
        self.assertEqual(second.invoice_line_ids.quantity, 0.25)
        self.assertEqual(second.amount_untaxed, 250.0)
        self.assertEqual(ticket.hours_invoiced, 0.75)
        self.assertEqual(ticket.hours_billed, 0.75)
        self.assertEqual(inside.support_billing_status, "within_minimum")
        self.assertFalse(self._invoice())
        self.assertFalse(self._leaks(ticket))

    def _refused(self):
        self.cust_a.support_cost_control = True
        self._key_user_agreement(self.cust_a, self.contact_a)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        ticket.action_refuse_extra_hours(partner_id=self.contact_a.id, note="By phone")
        self.assertEqual(line.support_billing_status, "refused")
        self.assertEqual(self._leaks(ticket), line, "refused work needs a decision")
        return ticket, line

    def test_refused_work_written_off(self):
        ticket, line = self._refused()
        with self.assertRaises(AccessError):
            ticket.with_user(self.consultant).action_write_off_refused_hours("Goodwill")
        with self.assertRaises(UserError):
            ticket.with_user(self.manager).action_write_off_refused_hours(" ")
        with self.assertRaises(AccessError):
            ticket.with_user(self.manager).write({"write_off_reason": "Forged"})
        self.assertEqual(line.support_billing_status, "refused")
        wizard = (
            self.env["support.write.off"]
            .with_user(self.manager)
            .create({"ticket_id": ticket.id, "reason": "Our estimate was too low"})
        )
        wizard.action_confirm()
        self.assertEqual(line.support_billing_status, "written_off")
        self.assertIn("Our estimate was too low", line.support_billing_reason)
        self.assertEqual(ticket.write_off_user_id, self.manager)
        self.assertFalse(self._leaks(ticket))
        self.assertFalse(self._invoice())
        # The analysis shows it as written off.
        groups = self.env["account.analytic.line"]._read_group(
            [("support_ticket_id", "=", ticket.id)], ["support_billing_status"], ["unit_amount:sum"]
        )
        self.assertEqual(groups, [("written_off", 1.0)])
        with self.assertRaises(UserError):
            ticket.with_user(self.manager).action_write_off_refused_hours("Twice")

    def test_refused_work_billed_after_later_approval(self):
        ticket, line = self._refused()
        ticket.with_user(self.manager).action_write_off_refused_hours("Goodwill")
        # The customer approves after all: billed, the write-off is gone.
        ticket.action_approve_extra_hours(partner_id=self.contact_a.id, note="Letter of 3 May")
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertFalse(ticket.write_off_reason)
        self.assertEqual(self._invoice().amount_untaxed, 1000.0)
