from datetime import date

from psycopg2 import errors

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CommittedFixtureCase


class MoneyConcurrencyCase(CommittedFixtureCase):
    """A cost-control-ready customer with a Key User (also a portal user), a patch agreement
    with a fee, a billable ticket, committed by a separate cursor and removed at the end."""

    def setUp(self):
        super().setUp()
        self.ids = {}
        with self._env() as env:
            company = env.ref("base.main_company")
            self.day = fields.Date.context_today(env.user).replace(day=1)
            partner = env["res.partner"].create(
                {"name": "Samtidig Pengar AB", "is_company": True, "support_cost_control": False}
            )
            key = env["res.partner"].create({"name": "Kim Samtidig", "parent_id": partner.id})
            portal = new_test_user(
                env,
                login="st_conc_portal",
                groups="base.group_portal",
                partner_id=key.id,
                company_id=company.id,
                tz=env.user.tz,
            )
            agreement = env["support.agreement"].create(
                {
                    "partner_id": partner.id,
                    "type_id": env.ref("support_contract.agreement_type_patch").id,
                    "date_start": date(2026, 4, 1),
                    "monthly_fee": 3000.0,
                    "fee_date_from": date(2026, 4, 1),
                    "key_user_ids": [(6, 0, key.ids)],
                    "company_id": company.id,
                }
            )
            agreement.action_activate()
            project = env["project.project"].create(
                {"name": "Concurrency money", "company_id": company.id, "allow_timesheets": True}
            )
            employee = env["hr.employee"].create({"name": "Pengar", "company_id": company.id})
            ticket = env["support.ticket"].create(
                {
                    "name": "Concurrent money request",
                    "partner_id": key.id,
                    "category_id": env.ref("support_contract.category_db_correction").id,
                    "request_date": self.day,
                    "project_id": project.id,
                    "company_id": company.id,
                }
            )
            self.ids = {
                "partner": partner.id,
                "key": key.id,
                "portal": portal.id,
                "agreement": agreement.id,
                "project": project.id,
                "employee": employee.id,
                "ticket": ticket.id,
                "tickets": ticket.ids,
                "employees": employee.ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._env() as env:
            ticket = env["support.ticket"].browse(self.ids["ticket"])
            agreement = env["support.agreement"].browse(self.ids["agreement"])
            lines = env["account.analytic.line"].search([("support_ticket_id", "=", ticket.id)])
            moves = env["account.move"].search([("partner_id", "=", self.ids["partner"])])
            env.cr.execute(
                "UPDATE account_analytic_line SET support_invoice_line_id = NULL WHERE id IN %s",
                [tuple(lines.ids or [0])],
            )
            if moves:
                # Posted moves cannot be deleted by the ORM: remove them and their
                # reconciliation (a credit note is reconciled with its invoice) directly.
                env.cr.execute(
                    "DELETE FROM account_partial_reconcile AS rec USING account_move_line AS aml "
                    "WHERE aml.move_id IN %s "
                    "AND aml.id IN (rec.debit_move_id, rec.credit_move_id)",
                    [tuple(moves.ids)],
                )
                env.cr.execute("DELETE FROM account_move WHERE id IN %s", [tuple(moves.ids)])
            env.invalidate_all()
            lines.unlink()
            ticket.unlink()
            env.cr.execute("DELETE FROM support_agreement WHERE id = %s", [agreement.id])
            project = env["project.project"].browse(self.ids["project"])
            account = project.account_id
            project.unlink()
            account.unlink()
            env["hr.employee"].browse(self.ids["employee"]).unlink()
            env["res.users"].browse(self.ids["portal"]).unlink()
            env["res.partner"].browse([self.ids["key"], self.ids["partner"]]).unlink()


@tagged("post_install", "-at_install")
class TestConcurrencyMoney(MoneyConcurrencyCase):
    """Two real transactions on the undo paths of billing: a credit note posted while the same
    ticket's new time is invoiced, a fee run against a manual fee invoice of the same month.
    (An approval in the portal while time is logged: support_portal's test_portal_concurrency.)"""

    @mute_logger("odoo.sql_db")
    def test_credit_note_while_new_time_is_invoiced(self):
        with self._env() as env:
            self._log(env, 1.0)
            invoice = self._invoice(env)
            invoice.invoice_date = self.day
            invoice.action_post()
            reversal = (
                env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "date": self.day})
            )
            refund_id = reversal.refund_moves()["res_id"]
            self._log(env, 2.0)  # new time, to invoice
        with self._two_envs() as (env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            # The accountant invoices the new time; meanwhile another posts the credit note.
            new = self._invoice(env1)
            self.assertEqual(new.invoice_line_ids.quantity, 2.0)
            with self.assertRaises(errors.LockNotAvailable):
                env2["account.move"].browse(refund_id).action_post()
                env2.flush_all()
            cr2.rollback()
            cr1.commit()
            # The retry (as Odoo's RPC layer does) releases the credited hour, once.
            env2.invalidate_all()
            env2["account.move"].browse(refund_id).action_post()
            env2.flush_all()
            cr2.commit()
            again = self._invoice(env1)
            self.assertEqual(again.invoice_line_ids.quantity, 1.0, "the credited hour, once")
            self.assertEqual(again.amount_untaxed, new.amount_untaxed / 2)
            cr1.commit()
            self.assertFalse(self._invoice(env1), "nothing twice")
            env1.invalidate_all()
            ticket = env1["support.ticket"].browse(self.ids["ticket"])
            self.assertEqual(ticket.hours_invoiced, 3.0)
            self.assertEqual(
                set(ticket.timesheet_ids.mapped("support_billing_status")), {"invoiced"}
            )
            cr1.commit()

    @mute_logger("odoo.sql_db")
    def test_fee_run_and_manual_fee_invoice(self):
        until = date(2026, 4, 30)
        with self._two_envs() as (env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            agreement1 = env1["support.agreement"].browse(self.ids["agreement"])
            agreement2 = env2["support.agreement"].browse(self.ids["agreement"])
            cr2.execute("SELECT 1")  # cr2's snapshot predates cr1's commit
            # The daily job invoices April; the accountant presses Invoice Monthly Fees.
            moves = agreement1._invoice_monthly_fees(until=until)
            env1.flush_all()
            self.assertEqual(moves.amount_untaxed, 3000.0)
            with self.assertRaises(errors.LockNotAvailable):
                agreement2._invoice_monthly_fees(until=until)
            cr2.rollback()
            cr2.execute("SELECT 1")
            cr1.commit()
            # A snapshot from before the commit cannot bill the month a second time either.
            with self.assertRaises(errors.UniqueViolation):
                agreement2._invoice_monthly_fees(until=until)
                env2.flush_all()
            cr2.rollback()
            env2.invalidate_all()
            # The retry finds the month invoiced.
            self.assertFalse(agreement2._invoice_monthly_fees(until=until))
            cr2.commit()
            periods = env1["support.agreement.fee.period"].search(
                [("agreement_id", "=", self.ids["agreement"])]
            )
            self.assertEqual(len(periods), 1)
            self.assertEqual(
                env1["account.move"].search_count([("partner_id", "=", self.ids["partner"])]), 1
            )
