from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestBilling(SupportTimesheetCase):
    def test_covered_time(self):
        ticket = self._ticket(self.contact_patch, self.cat_tech)
        self.assertEqual(ticket.coverage, "covered")
        line = self._log(ticket, 1.0)
        self.assertEqual(line.support_billing_status, "covered")
        self.assertTrue(line.support_billing_reason)
        self.assertEqual(line.project_id, self.company.support_project_id)
        self.assertTrue(line.project_id.allow_timesheets)
        self.assertEqual(ticket.hours_logged, 1.0)
        self.assertEqual(ticket.hours_billed, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 0.0)

    def test_minimum_per_request(self):
        ticket = self._ticket(self.contact_a)
        self.assertEqual(ticket.coverage, "billable")
        line = self._log(ticket, 0.25)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.unit_amount, 0.25, "tracked hours stay untouched")
        self.assertEqual(line.support_billed_hours, 0.25)
        self.assertEqual(ticket.hours_logged, 0.25)
        self.assertEqual(ticket.hours_billed, 0.5)
        self.assertEqual(ticket.hours_extra, 0.25)
        self.assertEqual(ticket.hours_to_invoice, 0.5)
        # More time uses up the minimum.
        self._log(ticket, 0.5)
        self.assertEqual(ticket.hours_billed, 0.75)
        self.assertEqual(ticket.hours_extra, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 0.75)

    def test_rounding_step(self):
        self.type_on_demand.rounding_step = 0.25
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.1)
        self.assertAlmostEqual(ticket.hours_billed, 1.25)
        self.assertAlmostEqual(ticket.hours_to_invoice, 1.25)
        self.assertAlmostEqual(ticket.hours_logged, 1.1)

    def test_minimum_billed_once_across_invoices(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.25)
        move = self._invoice()
        self.assertEqual(move.invoice_line_ids.quantity, 0.5)
        # Next period: 0.1 h more, still within the minimum already billed.
        self._log(ticket, 0.1)
        self.assertAlmostEqual(ticket.hours_billed, 0.5)
        self.assertAlmostEqual(ticket.hours_to_invoice, 0.0)
        # Then 1 h more: the ticket's total is 1.35 h, 0.5 h billed already.
        self._log(ticket, 1.0)
        self.assertAlmostEqual(ticket.hours_to_invoice, 0.85)

    def test_decision_change_moves_uninvoiced_lines(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        ticket.write({"coverage_override": "covered", "coverage_override_reason": "Goodwill"})
        self.assertEqual(line.support_billing_status, "covered")
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        ticket.write({"coverage_override": False, "coverage_override_reason": False})
        self.assertEqual(line.support_billing_status, "to_invoice")
        move = self._invoice()
        self.assertEqual(line.support_billing_status, "invoiced")
        # Invoiced lines keep their status when the decision changes; new time follows it.
        ticket.write({"coverage_override": "covered", "coverage_override_reason": "Goodwill"})
        line2 = self._log(ticket, 2.0)
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertEqual(line2.support_billing_status, "covered")
        self.assertEqual(line.sudo().support_invoice_line_id.move_id, move)

    def test_agreement_change_moves_lines(self):
        ticket = self._ticket(self.contact_a, self.cat_tech)
        line = self._log(ticket, 1.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.cust_a.id,
                "type_id": self.type_patch.id,
                "date_start": self.year_ago,
            }
        )
        agreement.write({"state": "active"})
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(line.support_billing_status, "covered")

    def test_consultant_logs_from_ticket_form(self):
        ticket = self._ticket(self.contact_a)
        with Form(ticket.with_user(self.consultant)) as form:
            with form.timesheet_ids.new() as row:
                row.name = "Analysis"
                row.unit_amount = 1.5
        self.assertEqual(ticket.timesheet_ids.unit_amount, 1.5)
        self.assertEqual(ticket.timesheet_ids.support_billing_status, "to_invoice")
        self.assertEqual(ticket.timesheet_ids.employee_id.user_id, self.consultant)

    def test_bad_durations(self):
        ticket = self._ticket(self.contact_a)
        for hours in (0.0, -1.0):
            with self.subTest(hours=hours), self.assertRaises(ValidationError):
                self._log(ticket, hours)
        self.assertFalse(ticket.timesheet_ids)
        line = self._log(ticket, 1.0)
        with self.assertRaises(ValidationError):
            line.with_user(self.consultant).unit_amount = -2
        self.assertEqual(line.unit_amount, 1.0)

    def test_cancelled_ticket(self):
        ticket = self._ticket(self.contact_a)
        ticket.stage_id = self.stage_cancelled
        with self.assertRaisesRegex(UserError, "cancelled"):
            self._log(ticket, 1.0)
        self.assertFalse(ticket.timesheet_ids)

    def test_unclassified_ticket_takes_no_time(self):
        """To Classify: no time is covered or billed until a consultant chooses the category."""
        ticket = self.env["support.ticket"].create(
            {"name": "Oklart", "partner_id": self.contact_a.id, "request_date": self.month_start}
        )
        self.assertFalse(ticket.coverage)
        with self.assertRaisesRegex(UserError, "classify it"):
            self._log(ticket, 1.0)
        other = self._ticket(self.contact_a)
        line = self._log(other, 1.0)
        with self.assertRaisesRegex(UserError, "classify it"):
            line.with_user(self.consultant).support_ticket_id = ticket
        self.assertFalse(ticket.timesheet_ids)
        self.assertEqual(ticket.hours_billed, 0.0)
        ticket.category_id = self.cat_db
        self._log(ticket, 0.25)
        self.assertEqual(ticket.coverage, "billable")
        self.assertEqual(ticket.hours_billed, 0.5)

    def test_cost_control_holds_and_approval(self):
        self.cust_a.support_cost_control = True
        ticket = self._ticket(self.contact_a)
        self._pack(self.cust_a, 1.0)
        line = self._log(ticket, 1.5)
        self.assertEqual(line.support_billing_status, "held")
        self.assertEqual(line.support_pack_hours, 1.0)
        self.assertEqual(ticket.hours_held, 0.5)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertEqual(ticket.approval_state, "pending")
        self.assertFalse(self._invoice())
        self._key_user_agreement(self.cust_a, self.contact_a)
        ticket.action_approve_extra_hours(partner_id=self.contact_a.id, note="By phone")
        self.assertEqual(ticket.approval_state, "approved")
        self.assertEqual(ticket.approval_partner_id, self.contact_a)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.hours_to_invoice, 0.5)

    def test_cost_control_refused(self):
        self.cust_a.support_cost_control = True
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self.assertEqual(ticket.approval_state, "pending")
        self._key_user_agreement(self.cust_a, self.contact_a)
        ticket.action_refuse_extra_hours(partner_id=self.contact_a.id, note="By phone")
        self.assertEqual(line.support_billing_status, "refused")
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertFalse(self._invoice())
        with self.assertRaises(UserError):
            ticket.action_refuse_extra_hours(partner_id=self.contact_a.id, note="By phone")

    def test_leaks_empty_for_settled_lines(self):
        covered = self._ticket(self.contact_patch, self.cat_tech)
        billable = self._ticket(self.contact_b)
        self._pack(self.cust_a, 2.0)
        packed = self._ticket(self.contact_a)
        self._log(covered, 1.0)
        self._log(billable, 1.0)
        self._log(packed, 1.0)
        self._invoice(self.cust_b)
        self._log(billable, 0.5)
        leaks = self.env["account.analytic.line"].search(
            [
                ("support_ticket_id", "in", (covered | billable | packed).ids),
                ("support_billing_status", "not in", ("covered", "pack", "to_invoice", "invoiced")),
            ]
        )
        self.assertFalse(leaks)
        self.assertEqual(
            set((covered | billable | packed).timesheet_ids.mapped("support_billing_status")),
            {"covered", "invoiced", "to_invoice", "pack"},
        )

    def test_invoiced_ticket_keeps_decision_on_agreement_change(self):
        invoiced = self._ticket(self.contact_a, self.cat_tech)
        open_ticket = self._ticket(self.contact_a, self.cat_tech)
        self._log(invoiced, 1.0)
        line = self._log(open_ticket, 1.0)
        self._invoice()
        line2 = self._log(open_ticket, 0.5, date=self.month_start)
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.cust_a.id,
                "type_id": self.type_patch.id,
                "date_start": self.year_ago,
            }
        )
        agreement.write({"state": "active"})
        self.assertEqual(invoiced.coverage, "billable", "billed work keeps its decision")
        self.assertEqual(open_ticket.coverage, "billable")
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertEqual(line2.support_billing_status, "to_invoice")

    def test_default_billing_type_is_a_setting(self):
        """Requests no agreement covers are billed under the company's default billing type."""
        self.assertEqual(self.company.support_default_type_id, self.type_on_demand)
        strict = self.env["support.agreement.type"].create(
            {"name": "Strict On-Demand", "code": "strict", "min_billed_hours": 1.0}
        )
        settings = self.env["res.config.settings"].create({"support_default_type_id": strict.id})
        settings.execute()
        self.assertEqual(self.company.support_default_type_id, strict)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 0.25)
        self.assertEqual(line.support_agreement_type_id, strict)
        self.assertEqual(ticket.hours_billed, 1.0)
        self.assertEqual(ticket.hours_to_invoice, 1.0)
