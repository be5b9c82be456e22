from pathlib import Path
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import SupportTimesheetCase


class TestEngineHomes(SupportTimesheetCase):
    """The engine's rules have one home each; the sides that read them agree on the same data."""

    def test_held_hours_sql_and_python_agree(self):
        """The incremental pass sums held hours in SQL, the full pass, the statement and the
        line's reason in Python: one formula, the same figures."""
        self.cust_b.support_cost_control = True
        self._pack(self.cust_b, 0.75)
        ticket = self._ticket(self.contact_b)
        for hours in (0.25, 0.5, 1.0, 0.25):
            self._log(ticket, hours)
        other = self._ticket(self.contact_a)
        self._log(other, 1.0)
        lines = (ticket | other).timesheet_ids
        self.assertIn("held", lines.mapped("support_billing_status"))
        self.assertIn("pack", lines.mapped("support_billing_status"))
        self.env.flush_all()
        Line = self.env["account.analytic.line"]
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM account_analytic_line line WHERE id IN %s",
                Line._support_held_hours_sql("line"),
                tuple(lines.ids),
            )
        )
        in_sql = {line_id: round(hours, 4) for line_id, hours in self.env.cr.fetchall()}
        in_python = {line.id: round(line._support_held_hours(), 4) for line in lines}
        self.assertEqual(in_sql, in_python)
        self.assertGreater(sum(in_python.values()), 0)
        # The engine's total is the lines' held hours (the minimum is reached: no extra).
        self.assertEqual(ticket.hours_extra, 0.0)
        self.assertAlmostEqual(ticket.hours_held, sum(in_python.values()), places=4)
        statement = self.env["support.statement"].new(
            {"partner_id": self.cust_b.id, "company_id": self.company.id, "date": self.month_start}
        )
        totals = statement._statement_values()["totals"]
        self.assertAlmostEqual(totals["held"], ticket.hours_held, places=4)

    def test_minimum_and_rounding_one_home(self):
        """The ticket's billed and extra hours are `_support_billed_and_extra` of its time."""
        self.type_on_demand.rounding_step = 0.25
        ticket = self._ticket(self.contact_a)
        for hours in (0.1, 0.3, 0.2):
            self._log(ticket, hours)
            billed, extra = ticket._support_billed_and_extra(ticket.hours_logged)
            self.assertAlmostEqual(ticket.hours_billed, billed, places=4)
            self.assertAlmostEqual(ticket.hours_extra, extra, places=4)
        self.assertAlmostEqual(ticket.hours_billed, 0.75, places=4)

    def test_customers_are_told_the_pack_the_engine_draws(self):
        """The pack the portal names for work of a date is the one the engine draws from:
        expired, not yet valid and empty packs are skipped on both sides."""
        expired = self._pack(
            self.cust_a, 5.0, self.year_ago, self.month_start - relativedelta(days=1)
        )
        future = self._pack(self.cust_a, 5.0, self.month_start + relativedelta(months=2))
        empty = self._pack(self.cust_a, 0.5, self.year_ago)
        self._log(self._ticket(self.contact_a), 0.5)  # uses up `empty`
        valid = self._pack(self.cust_a, 5.0, self.year_ago + relativedelta(days=1))
        told = self.cust_a._support_packs_in_draw_order(self.month_start, self.company)
        self.assertEqual(told, valid)
        self.assertFalse(told & (expired | future | empty))
        line = self._log(self._ticket(self.contact_a), 1.0)
        self.assertEqual(line.support_consumption_ids.pack_id, told[:1])

    def test_one_home_for_row_locks(self):
        """Every row lock of the suite goes through `lock_rows`."""
        root = Path(__file__).resolve().parents[2]
        offenders = []
        for path in root.glob("support_*/**/*.py"):
            if "tests" in path.parts or path.name == "support_billing_mixin.py":
                continue
            text = path.read_text()
            if "FOR UPDATE" in text or "FOR NO KEY UPDATE" in text:
                offenders.append(str(path.relative_to(root)))
        self.assertEqual(offenders, [], "row locks written outside lock_rows")


class TestEngineHooks(SupportTimesheetCase):
    """The engine's hooks answer; the orchestrator records: an override that does not call
    ``super()`` loses neither draws nor totals."""

    def test_override_without_super_keeps_draws_and_totals(self):
        pack = self._pack(self.cust_a, 10.0)
        Ticket = type(self.env["support.ticket"])

        def bill_line(ticket, billing_pass, line, packs, within):
            # A partner's own rule: half of the time from the first pack, half to invoice.
            half = line.unit_amount / 2
            vals = {
                "support_billing_status": "to_invoice",
                "support_billed_hours": half,
                "support_pack_hours": half,
                "support_minimum_hours": 0.0,
            }
            return vals, [(packs[0].id, half)]

        ticket = self._ticket(self.contact_a)
        with patch.object(Ticket, "_support_bill_line", bill_line):
            self._log(ticket, 2.0)
            self._log(ticket, 1.0)
            ticket._support_recompute_billing()
        self.assertEqual(pack.hours_remaining, 8.5)
        self.assertEqual(ticket.hours_from_pack, 1.5)
        self.assertEqual(ticket.hours_to_invoice, 1.5)
        self.assertEqual(ticket.hours_billed, 3.0)
        self.assertEqual(len(ticket.pack_consumption_ids), 2)

    def test_extra_hours_override_keeps_held_totals(self):
        """The extra hours' held part is added by the orchestrator, not by the hook."""
        self.cust_b.support_cost_control = True
        ticket = self._ticket(self.contact_b)
        self._log(ticket, 0.25)
        self.assertEqual(ticket.hours_held, 0.5)
        self.assertEqual(ticket.approval_state, "pending")


class TestTimesheetLock(SupportTimesheetCase):
    """Invoiced time is locked on the fields that matter, as sale_timesheet does it."""

    def test_invoiced_line_keeps_what_matters_only(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self._invoice()
        for vals in (
            {"unit_amount": 2.0},
            {"date": self.month_start + relativedelta(days=2)},
            {"name": "Other work"},
            {"support_ticket_id": False},
        ):
            with self.assertRaisesRegex(UserError, "invoiced", msg=str(vals)):
                line.with_user(self.consultant).write(vals)
        # Another timesheet module's fields (here the cost, as a manager's cost update writes
        # it) stay writable on invoiced time; a consultant writes no cost.
        with self.assertRaises(AccessError):
            line.with_user(self.consultant).write({"amount": -123.0})
        manager = self._user("st_lock_manager", "support_contract.group_support_manager")
        line.with_user(manager).write({"amount": -123.0})
        self.assertEqual(line.sudo().amount, -123.0)
        self.assertEqual((line.unit_amount, line.name), (1.0, "Work"))
        self.assertEqual(line.support_billing_status, "invoiced")

    def test_invoiced_line_cannot_be_deleted_and_keeps_its_draws(self):
        pack = self._pack(self.cust_a, 0.5)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self._invoice()
        draws = line.support_consumption_ids
        self.assertEqual(draws.hours, 0.5)
        with self.assertRaisesRegex(UserError, "invoiced"):
            line.with_user(self.consultant).unlink()
        self.assertTrue(line.exists())
        self.assertTrue(draws.exists())
        self.assertEqual(pack.hours_remaining, 0.0)


@tagged("post_install", "-at_install")
class TestCreditNoteResetCancel(SupportTimesheetCase):
    """A posted credit note that released time can neither be reset to draft nor cancelled:
    the message says to invoice the work again; nothing changes."""

    def _released_by_credit_note(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        move = self._invoice()
        move.invoice_date = self.month_start
        move.action_post()
        action = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Fel", "date": self.month_start})
            .refund_moves()
        )
        refund = self.env["account.move"].browse(action["res_id"])
        refund.with_user(self.accountant).action_post()
        self.assertEqual(line.support_billing_status, "to_invoice")
        return ticket, line, move, refund

    def _assert_unchanged(self, ticket, line, move, refund):
        self.assertEqual((move.state, refund.state), ("posted", "posted"))
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertFalse(line.support_invoice_line_id)
        self.assertEqual(ticket.hours_invoiced, 0.0)

    def test_reset_refused(self):
        ticket, line, move, refund = self._released_by_credit_note()
        with self.assertRaisesRegex(UserError, "instead of resetting the credit note"):
            refund.with_user(self.accountant).button_draft()
        self._assert_unchanged(ticket, line, move, refund)

    def test_cancel_refused(self):
        ticket, line, move, refund = self._released_by_credit_note()
        with self.assertRaisesRegex(UserError, "cannot be cancelled.*Invoice Support Time"):
            refund.with_user(self.accountant).button_cancel()
        self._assert_unchanged(ticket, line, move, refund)
        with self.assertRaisesRegex(UserError, "the invoice cannot be cancelled"):
            move.with_user(self.accountant).button_cancel()
        self._assert_unchanged(ticket, line, move, refund)
        # What to do instead works: the work is invoiced again, once.
        again = self._invoice()
        self.assertEqual(again.invoice_line_ids.support_timesheet_ids, line)
        self.assertFalse(self._invoice())


class TestProtectedMixinCost(SupportTimesheetCase):
    """A partner's create or write without protected fields costs the check nothing: it does
    not even ask whether the user may write them."""

    def test_plain_partner_writes_skip_the_check(self):
        Partner = type(self.env["res.partner"])
        user = self._user("st_contacts", "base.group_user,base.group_partner_manager")
        with patch.object(
            Partner, "_support_may_write_protected", side_effect=AssertionError("asked")
        ):
            partner = (
                self.env["res.partner"]
                .with_user(user)
                .create({"name": "Ny kontakt", "phone": "+46 8 123"})
            )
            partner.write({"phone": "+46 8 456", "email": "ny@example.com"})
            partner.default_get(["name", "phone"])
        with (
            self.assertRaisesRegex(AssertionError, "asked"),
            patch.object(
                Partner, "_support_may_write_protected", side_effect=AssertionError("asked")
            ),
        ):
            partner.with_user(user).write({"support_cost_control": True})
        self.assertFalse(partner.support_cost_control)
