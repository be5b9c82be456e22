from ast import literal_eval

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestProfitability(SupportTimesheetCase):
    """A worked example of one month, computed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.last_month = cls.month_start - relativedelta(months=1)
        cls.last_day = cls.month_start - relativedelta(days=1)
        employees = cls.env["hr.employee"].search(
            [("user_id", "in", (cls.consultant | cls.consultant2).ids)]
        )
        employees.filtered(lambda e: e.user_id == cls.consultant).hourly_cost = 500.0
        employees.filtered(lambda e: e.user_id == cls.consultant2).hourly_cost = 700.0
        cls.agr_patch.fee_date_from = cls.last_month
        cls.agr_ondemand = cls.env["support.agreement"].create(
            {
                "partner_id": cls.cust_a.id,
                "type_id": cls.type_on_demand.id,
                "date_start": cls.year_ago,
            }
        )
        cls.agr_ondemand.write({"state": "active"})
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Maja Manager",
                "login": "st_profit_manager",
                "group_ids": [(6, 0, [cls.env.ref("support_contract.group_support_manager").id])],
            }
        )

    def _post(self, moves, day=None):
        moves.invoice_date = day or self.last_day
        moves.action_post()
        return moves

    def _rows(self, agreement):
        self.env["support.agreement.profitability"].invalidate_model()
        return self.env["support.agreement.profitability"].search(
            [("agreement_id", "=", agreement.id), ("date", "=", self.last_month)]
        )

    def test_worked_example(self):
        day = self.last_month + relativedelta(days=9)
        # Patch customer: 5 covered hours (3 h at 500, 2 h at 700) and 1.5 billable hours at 500.
        covered = self._ticket(self.contact_patch, self.cat_tech, request_date=day)
        self._log(covered, 3.0, date=day)
        self._log(covered, 2.0, date=day, user=self.consultant2)
        billable = self._ticket(self.contact_patch, self.cat_db, request_date=day)
        self._log(billable, 1.5, date=day)
        self.assertEqual(covered.coverage, "covered")
        self.assertEqual(billable.coverage, "billable")
        # Its fee for last month (495) and its billable work (1.5 h at 1,000), posted.
        self._post(self.agr_patch._invoice_monthly_fees(until=self.last_day))
        first = self._post(self._invoice(self.cust_patch, self.last_month, self.last_day))
        # A credit note undoes the first invoice of the work; it is invoiced again.
        first._reverse_moves(cancel=True)
        self.assertEqual(billable.hours_to_invoice, 1.5)
        self._post(self._invoice(self.cust_patch, self.last_month, self.last_day))
        # On-Demand customer: a 25 h pack sold for 20,000 (800 an hour), 4 h drawn at 500.
        self._post(
            self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.cust_a.id,
                    "invoice_line_ids": [
                        (0, 0, {"product_id": self.pack_25.id, "quantity": 1, "price_unit": 20000})
                    ],
                }
            ),
            day=self.last_month,
        )
        drawn = self._ticket(self.contact_a, request_date=day)
        self._log(drawn, 4.0, date=day)
        self.assertEqual(drawn.hours_from_pack, 4.0)

        patch = self._rows(self.agr_patch)
        self.assertEqual(len(patch), 1)
        expected = {
            "fee_amount": 495.0,
            "billable_amount": 1500.0,
            "billable_hours": 1.5,
            "pack_drawn_amount": 0.0,
            "revenue": 1995.0,
            "covered_hours": 5.0,
            "covered_cost": 2900.0,  # 3 * 500 + 2 * 700
            "other_hours": 1.5,
            "other_cost": 750.0,
            "cost": 3650.0,
            "margin": -1655.0,
            "is_covered_loss": True,
        }
        self.assertEqual({name: patch[name] for name in expected}, expected)
        self.assertEqual(patch.partner_id, self.cust_patch)
        self.assertEqual(patch.type_id, self.type_patch)

        ondemand = self._rows(self.agr_ondemand)
        expected = {
            "fee_amount": 0.0,
            "pack_sold_amount": 20000.0,
            "pack_sold_hours": 25.0,
            "pack_drawn_hours": 4.0,
            "pack_drawn_amount": 3200.0,
            "revenue": 3200.0,
            "cost": 2000.0,
            "margin": 1200.0,
            "is_covered_loss": False,
        }
        self.assertEqual({name: ondemand[name] for name in expected}, expected)

        # The smart button: the last 12 months of the agreement, and the loss list.
        self.assertEqual(self.agr_patch.with_user(self.manager).profitability_margin, -1655.0)
        action = self.agr_patch.with_user(self.manager).action_view_profitability()
        self.assertEqual(
            self.env["support.agreement.profitability"].search(action["domain"]), patch
        )
        losses = self.env.ref("support_timesheet.support_agreement_profitability_action_losses")
        losing = self.env["support.agreement.profitability"].search(literal_eval(losses.domain))
        self.assertIn(patch, losing)
        self.assertNotIn(ondemand, losing)

    def test_cancelled_invoice_earns_nothing(self):
        day = self.last_month + relativedelta(days=3)
        self._log(self._ticket(self.contact_patch, self.cat_db, request_date=day), 2.0, date=day)
        move = self._invoice(self.cust_patch, self.last_month, self.last_day)
        self.assertEqual(self._rows(self.agr_patch).billable_amount, 0.0, "a draft earns nothing")
        self._post(move)
        self.assertEqual(self._rows(self.agr_patch).billable_amount, 2000.0)
        move.button_draft()
        move.button_cancel()
        row = self._rows(self.agr_patch)
        self.assertEqual(row.billable_amount, 0.0)
        self.assertEqual(row.other_hours, 2.0)

    def test_rights(self):
        """Margins are for Support Managers and accountants, on every path."""
        Report = self.env["support.agreement.profitability"]
        self.assertTrue(Report.with_user(self.accountant).search_count([]) >= 0)
        with self.assertRaises(AccessError):
            Report.with_user(self.consultant).search([])
        with self.assertRaises(AccessError):
            self.agr_patch.with_user(self.consultant).action_view_profitability()
        with self.assertRaises(AccessError):
            self.agr_patch.with_user(self.consultant).read(["profitability_margin"])
        other = self._other_company_user(
            "st_profit_other", "support_contract.group_support_manager"
        )
        self._log(self._ticket(self.contact_patch, self.cat_tech), 1.0)
        self.assertTrue(Report.search([("company_id", "=", self.company.id)]))
        self.assertFalse(Report.with_user(other).search([("company_id", "=", self.company.id)]))

    def test_fee_days_credited(self):
        """Fee days credited as no longer due are not earned."""
        self._post(self.agr_patch._invoice_monthly_fees(until=self.last_day))
        self.assertEqual(self._rows(self.agr_patch).fee_amount, 495.0)
        period = self.agr_patch.fee_period_ids.filtered(lambda p: p.date_start == self.last_month)
        period.sudo().credited_ratio = period.ratio * 0.4
        self.assertAlmostEqual(self._rows(self.agr_patch).fee_amount, 297.0)
