from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestSecurity(SupportTimesheetCase):
    def test_consultant_cannot_invoice(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.0)
        with self.assertRaises(AccessError):
            self.env["support.invoice.create"].with_user(self.consultant).create(
                {"date_from": self.month_start, "date_to": self.month_start}
            )
        with self.assertRaises(AccessError):
            self.env["support.invoice.create"].with_user(self.consultant)._create_invoices_for(
                self.cust_a, self.month_start, self.month_start
            )
        self.assertEqual(ticket.timesheet_ids.support_billing_status, "to_invoice")

    def test_consultant_cannot_edit_invoiced_line(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.0)
        self._invoice()
        # The consultant still opens the ticket and sees the line's status (not the invoice).
        form = Form(ticket.with_user(self.consultant))
        self.assertEqual(len(form.timesheet_ids), 1)
        self.assertEqual(
            ticket.with_user(self.consultant).timesheet_ids.support_billing_status, "invoiced"
        )
        with self.assertRaises(UserError):
            line.with_user(self.consultant).write({"name": "Changed"})
        with self.assertRaises(UserError):
            line.with_user(self.consultant).unlink()

    def test_consultant_reads_packs_and_draws(self):
        pack = self._pack(self.cust_a, 3.0)
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.0, user=self.consultant2)
        consumption = pack.with_user(self.consultant).consumption_ids
        self.assertEqual(consumption.hours, 1.0)
        with self.assertRaises(AccessError):
            consumption.with_user(self.consultant).write({"hours": 0.1})
        # colleagues' time on the ticket is visible
        self.assertEqual(ticket.with_user(self.consultant).timesheet_ids.unit_amount, 1.0)

    def test_other_company_cannot_read(self):
        pack = self._pack(self.cust_a, 3.0)
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.0)
        fees = self.agr_patch._invoice_monthly_fees()
        self.assertTrue(fees)
        user_b = self._other_company_user(
            "st_user_b", "support_contract.group_support_manager,account.group_account_invoice"
        )
        Consumption = self.env["support.hour.pack.consumption"].with_user(user_b)
        self.assertFalse(Consumption.search([("pack_id", "=", pack.id)]))
        with self.assertRaises(AccessError):
            pack.consumption_ids.with_user(user_b).read(["hours"])
        Period = self.env["support.agreement.fee.period"].with_user(user_b)
        self.assertFalse(Period.search([("agreement_id", "=", self.agr_patch.id)]))
        with self.assertRaises(AccessError):
            self.agr_patch.fee_period_ids.with_user(user_b).read(["amount"])


@tagged("post_install", "-at_install")
class TestInvoicingOnlyUser(SupportTimesheetCase):
    """A user with Odoo's invoicing rights only (no support group) may edit and delete analytic
    lines by Odoo's access rights: invoiced support time stays locked for them too, and time
    they delete gives its pack hours back and leaves the ticket's totals right."""

    def test_invoicing_only_user_and_support_time(self):
        pack = self._pack(self.cust_a, 2.0)
        billing = self._user("st_billing_only", "account.group_account_invoice")
        ticket = self._ticket(self.contact_a)
        invoiced = self._log(ticket, 3.0)  # 2 h from the pack, 1 h invoiced
        self._invoice()
        self.assertEqual(invoiced.support_billing_status, "invoiced")
        open_line = self._log(ticket, 1.0)
        self.assertEqual(open_line.support_billing_status, "to_invoice")
        self.assertEqual(ticket.hours_to_invoice, 1.0)

        for forbidden in (
            lambda: invoiced.with_user(billing).write({"unit_amount": 0.5}),
            lambda: invoiced.with_user(billing).unlink(),
        ):
            with self.assertRaises(UserError):
                forbidden()
        self.env.invalidate_all()
        self.assertEqual(invoiced.unit_amount, 3.0)
        self.assertEqual((pack.hours_used, ticket.hours_logged), (2.0, 4.0))

        open_line.with_user(billing).unlink()
        self.env.invalidate_all()
        self.assertFalse(open_line.exists())
        self.assertEqual(ticket.hours_logged, 3.0)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertEqual(pack.hours_remaining, 0.0)
        self.assertEqual(invoiced.support_billing_status, "invoiced")
