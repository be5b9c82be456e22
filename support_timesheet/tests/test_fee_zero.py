from datetime import date

from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestFeeProratedToZero(SupportTimesheetCase):
    """A fee month whose prorated fee rounds to 0.00 gets no invoice line."""

    def test_no_zero_fee_line(self):
        customer = self._customer("Liten Avgift AB")
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": self.type_patch.id,
                "date_start": date(2026, 1, 31),
                "monthly_fee": 0.15,
            }
        )
        agreement.write({"state": "active"})
        # January: 1 day of 31 of 0.15 is 0.0048, 0.00 at the cent: not invoiced, not due.
        self.assertEqual(
            agreement._support_fee_months_due(date(2026, 1, 1), date(2026, 2, 28)),
            {agreement.id: [date(2026, 2, 1)]},
        )
        moves = agreement._invoice_monthly_fees(until=date(2026, 2, 28))
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.invoice_line_ids.mapped("price_unit"), [0.15])
        self.assertEqual(agreement.fee_period_ids.mapped("date_start"), [date(2026, 2, 1)])
        # Run again: nothing new, and still no 0.00 line.
        self.assertFalse(agreement._invoice_monthly_fees(until=date(2026, 2, 28)))
        self.assertFalse(
            self.env["account.move.line"].search(
                [
                    ("move_id.partner_id", "=", customer.id),
                    ("price_unit", "=", 0.0),
                    ("display_type", "=", "product"),
                ]
            )
        )
