from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..models import support_invoice_run
from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestInvoiceRun(SupportTimesheetCase):
    """Invoicing in the background: queued by the accountant, run in steps by the cron."""

    def _queue(self):
        wizard = Form(self.env["support.invoice.create"].with_user(self.accountant))
        wizard.date_from = self.month_start
        wizard.date_to = self.month_start + relativedelta(months=1, days=-1)
        action = wizard.save().action_run_in_background()
        return self.env["support.invoice.run"].browse(action["res_id"])

    def _process(self):
        # One customer per committed step, to see the run go step by step.
        with patch.object(support_invoice_run, "RUN_BATCH_CUSTOMERS", 1):
            self.env["support.invoice.run"]._cron_process_runs()

    def test_run_in_steps_with_progress(self):
        lines_a = self._log(self._ticket(self.contact_a), 1.0) | self._log(
            self._ticket(self.contact_a), 2.0
        )
        line_b = self._log(self._ticket(self.contact_b), 3.0)
        cron = self.env.ref("support_timesheet.ir_cron_support_invoice_run")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

        run = self._queue()
        self.assertEqual(run.state, "queued")
        self.assertEqual(run.user_id, self.accountant)
        self.assertEqual(run.progress, 0.0)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers + 1,
            "queuing a run wakes the scheduled job up",
        )
        self.assertFalse(lines_a.support_invoice_line_id, "nothing is invoiced before the job")

        steps = []
        create = type(self.env["support.ticket"])._support_create_invoices

        def spy(model, partners, *args, **kwargs):
            steps.append((partners, model.env.user))
            return create(model, partners, *args, **kwargs)

        with patch.object(type(self.env["support.ticket"]), "_support_create_invoices", spy):
            self._process()
        self.assertEqual([partners for partners, _user in steps], [self.cust_a, self.cust_b])
        self.assertEqual({user for _partners, user in steps}, {self.accountant})
        self.assertEqual(run.state, "done")
        self.assertEqual((run.customers_done, run.customers_total), (2, 2))
        self.assertEqual(run.progress, 100.0)
        self.assertEqual(run.invoice_count, 2)
        self.assertEqual(run.invoice_ids.partner_id, self.cust_a | self.cust_b)
        self.assertEqual(sorted(run.invoice_ids.mapped("amount_untaxed")), [3000.0, 3000.0])
        self.assertEqual(set((lines_a | line_b).mapped("support_billing_status")), {"invoiced"})
        self.assertIn(self.accountant.partner_id, run.message_ids[0].partner_ids)
        self.assertIn("Draft invoices created: 2; customers invoiced: 2.", run.message_ids[0].body)
        action = run.action_view_invoices()
        self.assertEqual(self.env["account.move"].search(action["domain"]), run.invoice_ids)

        # A second run of the same period finds nothing left to bill.
        again = self._queue()
        self._process()
        self.assertEqual(again.state, "done")
        self.assertFalse(again.invoice_ids)
        self.assertEqual(again.customers_total, 0)

    def test_failing_customer_skipped_and_retried(self):
        line_a = self._log(self._ticket(self.contact_a), 1.0)
        line_b = self._log(self._ticket(self.contact_b), 2.0)
        run = self._queue()
        create = type(self.env["support.ticket"])._support_create_invoices

        def fail_on_b(model, partners, *args, **kwargs):
            moves = create(model, partners, *args, **kwargs)
            if self.cust_b in partners:
                raise UserError("Kund B has no invoice address")
            return moves

        # Both customers in one step: the step fails, then each customer gets a step of its own.
        with patch.object(type(self.env["support.ticket"]), "_support_create_invoices", fail_on_b):
            self.env["support.invoice.run"]._cron_process_runs()
        self.assertEqual(run.state, "done_errors")
        self.assertEqual(run.failed_partner_ids, self.cust_b)
        self.assertEqual(run.error, "Kund B AB: Kund B has no invoice address")
        self.assertEqual((run.customers_done, run.customers_total), (2, 2))
        self.assertEqual(run.invoice_ids.partner_id, self.cust_a)
        self.assertEqual(run.invoice_ids.amount_untaxed, 1000.0)
        self.assertEqual(line_a.support_billing_status, "invoiced")
        self.assertEqual(line_b.support_billing_status, "to_invoice", "the failed step is undone")
        self.assertFalse(
            self.env["account.move"].search([("partner_id", "=", self.cust_b.id)]),
            "no half-made invoice is left behind",
        )
        self.assertIn("customers skipped: Kund B AB", run.message_ids[0].body)

        with self.assertRaisesRegex(UserError, "Only a failed run"):
            run.with_user(self.accountant).action_resume()
        with self.assertRaises(AccessError):
            run.with_user(self.consultant).action_retry_failed()
        run.with_user(self.accountant).action_retry_failed()
        self.assertEqual(run.state, "queued")
        self.assertFalse(run.error)
        spy = []

        def record(model, partners, *args, **kwargs):
            spy.append(partners)
            return create(model, partners, *args, **kwargs)

        with patch.object(type(self.env["support.ticket"]), "_support_create_invoices", record):
            self._process()
        self.assertEqual(spy, [self.cust_b], "only the skipped customer is retried")
        self.assertEqual(run.state, "done")
        self.assertEqual((run.customers_done, run.customers_total), (2, 2))
        self.assertEqual(run.invoice_ids.partner_id, self.cust_a | self.cust_b)
        self.assertEqual(line_b.support_billing_status, "invoiced")
        self.assertFalse(run.failed_partner_ids)

    def test_bad_period_and_access(self):
        with self.assertRaisesRegex(UserError, "ends .* before it starts"):
            self.env["support.invoice.run"].with_user(self.accountant).create(
                {"date_from": self.month_start, "date_to": self.month_start - relativedelta(days=1)}
            )
        self.assertFalse(self.env["support.invoice.run"].search([]))
        with self.assertRaises(AccessError):
            self.env["support.invoice.run"].with_user(self.consultant).create(
                {"date_from": self.month_start, "date_to": self.month_start}
            )
        run = self._queue()
        with self.assertRaises(AccessError):
            run.with_user(self.consultant).read(["state"])
        accountant_b = self._other_company_user("st_accountant_b", "account.group_account_invoice")
        self.assertFalse(self.env["support.invoice.run"].with_user(accountant_b).search([]))
        with self.assertRaises(AccessError):
            run.with_user(accountant_b).read(["state"])

    def test_requester_without_the_company_fails_cleanly(self):
        """The run invoices with the requester's rights: no access to a company, no invoices."""
        self._log(self._ticket(self.contact_a), 1.0)
        company_b = self.env["res.company"].create({"name": "Bolag C"})
        run = self.env["support.invoice.run"].create(
            {
                "date_from": self.month_start,
                "date_to": self.month_start + relativedelta(months=1, days=-1),
                "user_id": self.accountant.id,
                "company_id": company_b.id,
                "company_ids": company_b.ids,
            }
        )
        self._process()
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.error)
        self.assertFalse(run.invoice_ids)
        self.assertFalse(self.env["account.move"].search([("partner_id", "=", self.cust_a.id)]))
