from datetime import date

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestMonthlyFees(SupportTimesheetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_customer = cls.env["res.partner"].create({"name": "Avgift AB", "is_company": True})
        cls.agr = cls.env["support.agreement"].create(
            {
                "partner_id": cls.fee_customer.id,
                "type_id": cls.type_patch.id,
                "date_start": date(2026, 1, 15),
                "date_end": date(2026, 4, 10),
                "monthly_fee": 620.0,
            }
        )
        cls.agr.write({"state": "active"})

    def test_prorated_periods_once(self):
        moves = self.agr._invoice_monthly_fees(until=date(2026, 2, 20))
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.partner_id, self.fee_customer)
        lines = moves.invoice_line_ids.sorted("id")
        self.assertEqual(lines.mapped("price_unit"), [340.0, 620.0])  # 17/31 of January
        self.assertEqual(lines.product_id, self.env.ref("support_timesheet.product_patch_fee"))
        self.assertEqual(moves.amount_untaxed, 960.0)
        periods = self.agr.fee_period_ids.sorted("date_start")
        self.assertEqual(periods.mapped("date_start"), [date(2026, 1, 1), date(2026, 2, 1)])
        self.assertEqual(periods.invoice_line_id, lines)
        # Again: nothing new for the same months, then March and a prorated April.
        self.assertFalse(self.agr._invoice_monthly_fees(until=date(2026, 2, 28)))
        later = self.agr._invoice_monthly_fees(until=date(2026, 12, 31))
        self.assertEqual(
            later.invoice_line_ids.sorted("id").mapped("price_unit"), [620.0, 206.67]
        )  # 10/30 of April
        self.assertEqual(len(self.agr.fee_period_ids), 4)

    def test_fee_date_from(self):
        self.agr.fee_date_from = date(2026, 3, 10)
        moves = self.agr._invoice_monthly_fees(until=date(2026, 3, 31))
        self.assertEqual(moves.invoice_line_ids.price_unit, 440.0)  # 22/31 of March
        self.assertEqual(self.agr.fee_period_ids.date_start, date(2026, 3, 1))

    def test_cron_and_on_demand(self):
        moves = self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 1, 31))
        self.assertIn(self.fee_customer, moves.partner_id)
        mine = moves.filtered(lambda m: m.partner_id == self.fee_customer)
        self.assertEqual(mine.invoice_line_ids.price_unit, 340.0)
        again = self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 1, 31))
        self.assertNotIn(self.fee_customer, again.partner_id)
        action = self.agr.action_invoice_monthly_fees()
        self.assertEqual(action["res_model"], "account.move")
        with self.assertRaisesRegex(UserError, "already invoiced"):
            self.agr.action_invoice_monthly_fees()

    def test_cancelled_invoice_keeps_period(self):
        moves = self.agr._invoice_monthly_fees(until=date(2026, 1, 31))
        moves.button_cancel()
        # Cancelled on purpose: the daily job does not invoice the month again.
        self.assertEqual(self.agr.fee_period_ids.state, "cancelled")
        self.assertEqual(self.agr.fee_period_ids.invoice_id, moves)
        self.assertFalse(self.agr._invoice_monthly_fees(until=date(2026, 1, 31)))
        # A deleted draft frees the month.
        draft = self.agr._invoice_monthly_fees(until=date(2026, 2, 28))
        self.assertEqual(draft.invoice_line_ids.price_unit, 620.0)
        draft.unlink()
        self.assertEqual(self.agr.fee_period_ids.mapped("state"), ["cancelled"])
        self.assertTrue(self.agr._invoice_monthly_fees(until=date(2026, 2, 28)))

    def test_unique_period(self):
        self.agr._invoice_monthly_fees(until=date(2026, 1, 31))
        period = self.agr.fee_period_ids
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            period.copy({"invoice_line_id": period.invoice_line_id.id})
            self.env.flush_all()

    def test_on_demand_agreement_has_no_fee(self):
        agreement = self.env["support.agreement"].create(
            {"partner_id": self.cust_a.id, "type_id": self.type_on_demand.id, "monthly_fee": 100}
        )
        agreement.write({"state": "active"})
        self.assertFalse(agreement._invoice_monthly_fees())
        with self.assertRaises(UserError):
            agreement.action_invoice_monthly_fees()

    def test_scheduled_action(self):
        cron = self.env.ref("support_timesheet.ir_cron_invoice_monthly_fees")
        self.assertEqual(cron.code.strip(), "model._cron_invoice_monthly_fees()")
        self.assertEqual(cron.model_id.model, "support.agreement")
        cron.ir_actions_server_id.run()
        self.assertTrue(self.agr.fee_period_ids)
        count = len(self.agr.fee_period_ids)
        cron.ir_actions_server_id.run()
        self.assertEqual(len(self.agr.fee_period_ids), count, "never twice for a period")

    def test_new_fee_type_invoiced(self):
        """A type a manager creates with a monthly fee is invoiced like the seeded ones."""
        product = self.env["product.product"].create(
            {"name": "Backup Agreement, monthly fee", "type": "service", "list_price": 300.0}
        )
        with self.assertRaisesRegex(ValidationError, "choose the product"):
            self.env["support.agreement.type"].create(
                {"name": "No product", "code": "no_product", "has_monthly_fee": True}
            )
        backup = self.env["support.agreement.type"].create(
            {
                "name": "Backup Agreement",
                "code": "backup",
                "has_monthly_fee": True,
                "fee_product_id": product.id,
            }
        )
        customer = self.env["res.partner"].create({"name": "Backup AB", "is_company": True})
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": backup.id,
                "date_start": date(2026, 1, 1),
                "monthly_fee": 300.0,
            }
        )
        agreement.write({"state": "active"})
        moves = self.env["support.agreement"]._cron_invoice_monthly_fees(until=date(2026, 2, 10))
        mine = moves.filtered(lambda m: m.partner_id == customer)
        lines = mine.invoice_line_ids.sorted("id")
        self.assertEqual(lines.product_id, product)
        self.assertEqual(lines.mapped("price_unit"), [300.0, 300.0])
        self.assertEqual(mine.amount_untaxed, 600.0)
        periods = agreement.fee_period_ids.sorted("date_start")
        self.assertEqual(periods.mapped("date_start"), [date(2026, 1, 1), date(2026, 2, 1)])
        self.assertEqual(
            [period.invoice_line_id.name for period in periods],
            [
                f"{agreement.name}: Backup Agreement, 2026-01-01 - 2026-01-31",
                f"{agreement.name}: Backup Agreement, 2026-02-01 - 2026-02-28",
            ],
            "each period is the one of its own invoice line",
        )
        self.assertFalse(agreement._invoice_monthly_fees(until=date(2026, 2, 10)))
        # Without the fee, the type's agreements bill no fee.
        backup.has_monthly_fee = False
        with self.assertRaises(UserError):
            agreement.action_invoice_monthly_fees()

    def test_fee_invoice_in_the_customers_language(self):
        """A Swedish customer's fee invoice reads in Swedish when an English accountant
        invoices it."""
        self.env["res.lang"]._activate_lang("sv_SE")
        self.fee_customer.lang = "sv_SE"
        self.accountant.lang = "en_US"
        action = (
            self.agr.with_user(self.accountant)
            .with_context(lang="en_US")
            .action_invoice_monthly_fees()
        )
        move = self.env["account.move"].search(action["domain"])
        self.assertEqual(move.invoice_origin, "Avgifter för supportavtal")
        for line in move.invoice_line_ids:
            self.assertIn("Serverpatchavtal", line.name)

    def test_agreements_billing_fees_one_definition(self):
        """The agreement form's fee buttons, the fee run and Invoice Monthly Fees read one
        definition: a fee-bearing type, activated (active, or closed after being in force)."""
        Agreement = self.env["support.agreement"]
        draft = Agreement.create(
            {"partner_id": self.fee_customer.id, "type_id": self.type_patch.id}
        )
        on_demand = Agreement.create(
            {"partner_id": self.cust_a.id, "type_id": self.type_on_demand.id}
        )
        on_demand.action_activate()
        billing = Agreement.search([("bills_monthly_fees", "=", True)])
        self.assertTrue(self.agr.bills_monthly_fees)
        self.assertIn(self.agr, billing)
        for agreement in (draft, on_demand):
            self.assertFalse(agreement.bills_monthly_fees)
            self.assertNotIn(agreement, billing)
            with self.assertRaises(UserError):
                agreement.with_user(self.accountant).action_invoice_monthly_fees()
        self.agr.action_close()
        self.assertTrue(self.agr.bills_monthly_fees, "a closed agreement bills its months")
        draft.action_cancel()
        self.assertFalse(draft.bills_monthly_fees)
        self.assertIn(self.agr, Agreement.search([("bills_monthly_fees", "=", True)]))
        self.assertIn(draft, Agreement.search([("bills_monthly_fees", "=", False)]))
