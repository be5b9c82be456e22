from odoo.exceptions import AccessError, UserError
from odoo.service.model import call_kw
from odoo.tests import Form, tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestAuthority(SupportTimesheetCase):
    """Billing results, invoicing and approvals hold whoever calls, however."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user(
            "st_manager",
            "support_contract.group_support_manager,base.group_partner_manager",
        )
        cls.env["hr.employee"].create({"name": "Manager", "user_id": cls.manager.id})
        cls.key_a = cls.env["res.partner"].create({"name": "Kim Key", "parent_id": cls.cust_a.id})
        cls.agr_a = cls._key_user_agreement(cls.cust_a, cls.key_a)

    def _held_ticket(self):
        self.cust_a.support_cost_control = True
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 2.0)
        self.assertEqual(ticket.approval_state, "pending")
        self.assertEqual(line.support_billing_status, "held")
        return ticket, line

    def _billing(self, ticket):
        fnames = ticket._support_protected_fields() - {"pack_consumption_ids", "invoice_line_ids"}
        return (
            {fname: ticket[fname] for fname in fnames},
            ticket.timesheet_ids.read(
                ["support_billing_status", "support_billed_hours", "support_invoice_line_id"]
            ),
        )

    # ------------------------------------------------------------------ engine results
    def test_ticket_billing_results_not_writable(self):
        ticket = self._ticket(self.contact_b)
        self._log(ticket, 0.25)
        before = self._billing(ticket)
        self.assertEqual(ticket.hours_to_invoice, 0.5)
        forged = {
            "hours_logged": 0.0,
            "hours_billed": 0.0,
            "hours_to_invoice": 0.0,
            "hours_extra_to_invoice": 0.0,
            "hours_invoiced": 0.5,
            "hours_held": 0.5,
            "approval_state": "refused",
            "approval_partner_id": self.contact_b.id,
        }
        for user in (self.consultant, self.manager, self.accountant):
            for fname, value in forged.items():
                with self.subTest(user=user.login, field=fname), self.assertRaises(AccessError):
                    ticket.with_user(user).write({fname: value})
        self.assertEqual(self._billing(ticket), before)
        self.assertEqual(self._invoice(self.cust_b).invoice_line_ids.quantity, 0.5)

    def test_timesheet_billing_results_not_writable(self):
        ticket = self._ticket(self.contact_b)
        line = self._log(ticket, 1.0)
        as_consultant = line.with_user(self.consultant)
        other = self._ticket(self.contact_a)
        self._log(other, 1.0)
        other_invoice_line = self._invoice(self.cust_a).invoice_line_ids
        self.assertTrue(other_invoice_line)
        for vals in (
            {"support_billing_status": "covered"},
            {"support_billed_hours": 0.0},
            {"support_pack_hours": 1.0},
            {"support_billing_reason": "Covered"},
            {"support_invoice_line_id": other_invoice_line.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_consultant.write(vals)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.support_billed_hours, 1.0)
        # Not on create either, nor through a default in the context.
        Line = self.env["account.analytic.line"].with_user(self.consultant)
        vals = {"support_ticket_id": ticket.id, "unit_amount": 1.0, "name": "More"}
        with self.assertRaises(AccessError):
            Line.create(dict(vals, support_billing_status="covered"))
        line2 = Line.with_context(
            default_support_billing_status="covered", default_support_billed_hours=0.0
        ).create(vals)
        self.assertEqual(line2.support_billing_status, "to_invoice")
        self.assertEqual(line2.support_billed_hours, 1.0)
        # The consultant still logs and edits the time itself.
        as_consultant.write({"unit_amount": 1.5, "name": "Reworded"})
        self.assertEqual(ticket.hours_to_invoice, 2.5)

    def test_invoice_links_not_writable(self):
        ticket = self._ticket(self.contact_b)
        line = self._log(ticket, 1.0)
        move = self._invoice(self.cust_b)
        invoice_line = move.invoice_line_ids
        self.assertEqual(invoice_line.support_ticket_id, ticket)
        as_accountant = invoice_line.with_user(self.accountant)
        with self.assertRaises(AccessError):
            as_accountant.write({"support_ticket_id": False})
        with self.assertRaises(AccessError):
            as_accountant.write({"support_timesheet_ids": [(3, line.id)]})
        with self.assertRaises(AccessError):
            move.with_user(self.accountant).write(
                {
                    "invoice_line_ids": [
                        (0, 0, {"name": "Forged", "quantity": 1, "support_ticket_id": ticket.id})
                    ]
                }
            )
        self.assertEqual(invoice_line.support_ticket_id, ticket)
        self.assertEqual(line.support_invoice_line_id, invoice_line)
        self.assertEqual(ticket.hours_invoiced, 1.0)
        # A cancelled invoice whose work was released stays released.
        move.with_user(self.accountant).button_cancel()
        self.assertTrue(move.support_released)
        with self.assertRaises(AccessError):
            move.with_user(self.accountant).write({"support_released": False})
        with self.assertRaises(UserError):
            move.with_user(self.accountant).button_draft()
        self.assertEqual(move.state, "cancel")

    # ------------------------------------------------------------------ invoicing rights
    def test_monthly_fees_need_invoicing_rights(self):
        Move = self.env["account.move"]
        count = Move.search_count([])
        for user in (self.consultant, self.manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.agr_patch.with_user(user).action_invoice_monthly_fees()
        self.assertFalse(self.agr_patch.fee_period_ids)
        self.assertEqual(Move.search_count([]), count)
        action = self.agr_patch.with_user(self.accountant).action_invoice_monthly_fees()
        moves = Move.browse(action["domain"][0][2])
        self.assertTrue(moves)
        self.assertEqual(moves.create_uid, self.accountant)
        self.assertTrue(self.agr_patch.fee_period_ids)

    def test_support_invoicing_needs_invoicing_rights(self):
        ticket = self._ticket(self.contact_b)
        self._log(ticket, 1.0)
        with self.assertRaises(AccessError):
            self.env["support.invoice.create"].with_user(self.manager)._create_invoices_for(
                self.cust_b, self.month_start, self.today
            )
        with self.assertRaises(AccessError):
            self.env["support.invoice.run"].with_user(self.manager).create(
                {"date_from": self.month_start, "date_to": self.today}
            )
        self.assertEqual(ticket.timesheet_ids.support_billing_status, "to_invoice")

    def test_invoicing_run_is_the_servers(self):
        Run = self.env["support.invoice.run"].with_user(self.accountant)
        with self.assertRaises(AccessError):
            Run.create(
                {"date_from": self.month_start, "date_to": self.today, "user_id": self.manager.id}
            )
        with self.assertRaises(AccessError):
            Run.create({"date_from": self.month_start, "date_to": self.today, "state": "done"})
        run = Run.create({"date_from": self.month_start, "date_to": self.today})
        self.assertEqual(run.user_id, self.accountant)
        for vals in (
            {"state": "failed"},
            {"user_id": self.manager.id},
            {"company_ids": [(6, 0, [])]},
            {"date_from": self.year_ago},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.write(vals)
        self.assertEqual(run.state, "queued")
        with self.assertRaises(UserError):
            run.action_resume()

    def test_crons_not_callable_over_rpc(self):
        cron = self.env.ref("support_timesheet.ir_cron_invoice_monthly_fees")
        self.assertEqual(cron.code.strip(), "model._cron_invoice_monthly_fees()")
        for user in (self.consultant, self.accountant):
            Agreement = self.env["support.agreement"].with_user(user)
            with self.subTest(user=user.login), self.assertRaises(AttributeError):
                call_kw(Agreement, "cron_invoice_monthly_fees", [], {})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(Agreement, "_cron_invoice_monthly_fees", [], {})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(
                    self.env["support.invoice.run"].with_user(user), "_cron_process_runs", [], {}
                )
        self.assertFalse(self.agr_patch.fee_period_ids)
        cron.ir_actions_server_id.run()
        self.assertTrue(self.agr_patch.fee_period_ids)

    # ------------------------------------------------------------------ approvals
    def test_approval_is_the_customers(self):
        ticket, line = self._held_ticket()
        # A consultant cannot approve, whoever the context names.
        for user in (self.consultant, self.accountant):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                ticket.with_user(user).with_context(
                    support_approval_partner_id=self.key_a.id
                ).action_approve_extra_hours()
        # A manager must say which Key User answered, and how.
        as_manager = ticket.with_user(self.manager)
        with self.assertRaises(UserError):
            as_manager.with_context(
                support_approval_partner_id=self.key_a.id
            ).action_approve_extra_hours()
        with self.assertRaises(UserError):
            as_manager.action_approve_extra_hours(partner_id=self.key_a.id)
        # ... a Key User of this customer, not any contact.
        for partner in (self.contact_a, self.contact_b, self.manager.partner_id):
            with self.subTest(partner=partner.name), self.assertRaises(AccessError):
                as_manager.action_approve_extra_hours(partner_id=partner.id, note="By phone")
        self.assertEqual(ticket.approval_state, "pending")
        self.assertEqual(line.support_billing_status, "held")
        self.assertFalse(ticket.approval_partner_id)

        as_manager.action_refuse_extra_hours(partner_id=self.key_a.id, note="By phone")
        self.assertEqual(ticket.approval_state, "refused")
        self.assertEqual(line.support_billing_status, "refused")
        # The customer changes its mind later: bill anyway, with its approval.
        as_manager.action_approve_extra_hours(partner_id=self.key_a.id, note="E-mail of Monday")
        self.assertEqual(ticket.approval_state, "approved")
        self.assertEqual(ticket.approval_partner_id, self.key_a)
        self.assertEqual(ticket.approval_note, "E-mail of Monday")
        self.assertEqual(line.support_billing_status, "to_invoice")
        body = ticket.message_ids[:1].body
        self.assertIn("Kim Key approved", body)
        self.assertIn("E-mail of Monday", body)
        self.assertIn(self.manager.name, body)

    def test_cost_control_is_a_managers_setting(self):
        ticket, line = self._held_ticket()
        # A consultant who may edit contacts
        editor = self._user(
            "st_contact_editor",
            "support_contract.group_support_user,base.group_partner_manager",
        )
        for user in (editor, self.accountant):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.cust_a.with_user(user).write({"support_cost_control": False})
        self.assertTrue(self.cust_a.support_cost_control)
        self.assertEqual(line.support_billing_status, "held")
        # Other fields of the customer stay editable.
        self.cust_a.with_user(editor).write({"phone": "+46 8 123 45"})
        self.assertEqual(self.cust_a.phone, "+46 8 123 45")
        self.cust_a.with_user(self.manager).write({"support_cost_control": False})
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.approval_state, "not_needed")

    def test_manager_records_approval_with_wizard(self):
        ticket, line = self._held_ticket()
        action = self.env.ref("support_timesheet.support_approval_record_action")
        self.assertIn(
            self.env.ref("support_contract.group_support_manager"), action.sudo().group_ids
        )
        wizard = Form(
            self.env["support.approval.record"]
            .with_user(self.manager)
            .with_context(default_ticket_id=ticket.id, default_decision="approved")
        )
        wizard.partner_id = self.key_a
        wizard.channel = "email"
        wizard.note = "Reply to our quote"
        record = wizard.save()
        self.assertEqual(record.key_user_ids, self.key_a)
        record.action_confirm()
        self.assertEqual(ticket.approval_state, "approved")
        self.assertEqual(ticket.approval_note, "By e-mail: Reply to our quote")
        self.assertEqual(line.support_billing_status, "to_invoice")
        with self.assertRaises(AccessError):
            self.env["support.approval.record"].with_user(self.consultant).create(
                {"ticket_id": ticket.id, "partner_id": self.key_a.id}
            )

    def test_actions_check_the_starting_record(self):
        ticket = self._ticket(self.contact_b)
        self._log(ticket, 1.0)
        self._invoice(self.cust_b)
        stranger = self._other_company_user(
            "st_stranger", "support_contract.group_support_manager,account.group_account_invoice"
        )
        for method in ("action_view_support_invoices", "action_view_timesheets"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(ticket.with_user(stranger), method)()
        with self.assertRaises(AccessError):
            self.agr_patch.with_user(stranger).action_view_fee_periods()
        with self.assertRaises(AccessError):
            self.agr_patch.with_user(stranger).action_invoice_monthly_fees()
        action = ticket.with_user(self.accountant).action_view_support_invoices()
        self.assertEqual(len(action["domain"][0][2]), 1)
