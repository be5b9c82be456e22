import ast

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo story: a month of activity leaves no billing leak."""

    def setUp(self):
        super().setUp()
        self.company = self.env.ref("support_contract.company_cloudworkz")

    def test_no_leaks_after_demo_month(self):
        lines = self.env["account.analytic.line"].search(
            [("support_ticket_id", "!=", False), ("company_id", "=", self.company.id)]
        )
        self.assertTrue(lines)
        leaks = lines.filtered(
            lambda line: line.support_billing_status
            not in ("covered", "pack", "to_invoice", "invoiced")
        )
        self.assertFalse(leaks, leaks.mapped("support_billing_reason"))
        self.assertEqual(
            set(lines.mapped("support_billing_status")),
            {"covered", "pack", "to_invoice", "invoiced"},
        )
        action = self.env.ref("support_timesheet.account_analytic_line_action_leaks")
        domain = [*ast.literal_eval(action.domain), ("company_id", "=", self.company.id)]
        self.assertFalse(self.env["account.analytic.line"].search(domain))

    def test_story(self):
        ref = self.env.ref
        exhausted = ref("support_contract.pack_ondemand_expired")
        self.assertEqual(exhausted.hours_remaining, 0.0)
        self.assertEqual(ref("support_contract.pack_ondemand").hours_remaining, 24.5)
        overage = ref("support_timesheet.timesheet_ondemand_import")
        self.assertEqual(overage.support_pack_hours, 1.0)
        self.assertEqual(overage.support_billed_hours, 2.0)
        self.assertEqual(overage.support_billing_status, "invoiced")
        self.assertEqual(overage.support_invoice_line_id.quantity, 2.0)
        half = ref("support_timesheet.invoice_pack_patch").invoice_line_ids
        half = self.env["support.hour.pack"].search([("invoice_line_id", "in", half.ids)])
        self.assertEqual(half.hours_remaining, 12.5)
        self.assertEqual(half.partner_id, ref("support_contract.partner_patch"))
        fees = self.env["support.agreement.fee.period"].search(
            [("agreement_id", "=", ref("support_contract.agreement_patch").id)]
        )
        self.assertTrue(fees)
        self.assertEqual(len(fees), len(set(fees.mapped(lambda p: (p.fee_line_id, p.date_start)))))
        question = ref("support_timesheet.billing_ticket_ondemand_question")
        self.assertEqual(question.hours_billed, 0.5)
        self.assertEqual(question.hours_from_pack, 0.5)
        self.assertEqual(question.hours_to_invoice, 0.0)
        self.assertEqual(
            ref("support_timesheet.timesheet_maint_bug").support_billing_status, "covered"
        )
        self.assertEqual(
            ref("support_timesheet.timesheet_maint_feature").support_billing_status, "to_invoice"
        )

    def test_fees_per_environment(self):
        """The patch agreement's last three months, one invoice line per environment's fee
        line: production each month, staging from the 16th two months ago (prorated)."""
        ref = self.env.ref
        agreement = ref("support_contract.agreement_patch")
        prod, staging = agreement.fee_line_ids
        self.assertEqual(prod.product_id, agreement.type_id.fee_product_id)
        periods = agreement.fee_period_ids.sorted("date_start")
        self.assertEqual(len(periods.filtered(lambda p: p.fee_line_id == prod)), 3)
        first = periods.filtered(lambda p: p.fee_line_id == staging)[:1]
        self.assertEqual(len(periods.filtered(lambda p: p.fee_line_id == staging)), 2)
        self.assertEqual(first.billed_from, staging.date_start)
        days = (first.date_end - first.date_start).days + 1
        share = (first.date_end - staging.date_start).days + 1
        self.assertEqual(first.amount, round(295.0 * share / days, 2))
        line = first.invoice_line_id
        self.assertEqual(line.price_unit, first.amount)
        self.assertIn("test.norrlandstra.example.com", line.name)
        for period in periods:
            self.assertEqual(period.state, "invoiced")
            self.assertIn(period.fee_line_id.environment_id.name, period.invoice_line_id.name)
