from dateutil.relativedelta import relativedelta

from odoo.tests import tagged

from odoo.addons.support_timesheet.tests.common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestBillingExample(SupportTimesheetCase):
    """A partner's extension of the engine through its hooks, enabled by data only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.older = cls._pack(cls.cust_a, 5.0, cls.year_ago)
        cls.newer = cls._pack(cls.cust_a, 1.0, cls.month_start - relativedelta(days=10))

    def _draws(self, line):
        return [(draw.pack_id, draw.hours) for draw in line.support_consumption_ids.sorted("id")]

    def test_inert_without_its_data(self):
        """The suite's order (oldest first) and no surcharge, urgent or not."""
        ticket = self._ticket(self.contact_a, priority="2")
        line = self._log(ticket, 1.0)
        self.assertEqual(self._draws(line), [(self.older, 1.0)])
        ticket_b = self._ticket(self.contact_b, priority="2")
        self._log(ticket_b, 2.0)
        self.assertEqual(ticket_b.hours_to_invoice, 2.0)
        move = self._invoice(self.cust_b)
        self.assertEqual(move.invoice_line_ids.quantity, 2.0)

    def test_newest_pack_first(self):
        self.cust_a.support_example_pack_order = "newest"
        told = self.cust_a._support_packs_in_draw_order(self.month_start, self.company)
        self.assertEqual(told[:1], self.newer, "the customer is told the pack drawn first")
        line = self._log(self._ticket(self.contact_a), 1.5)
        self.assertEqual(self._draws(line), [(self.newer, 1.0), (self.older, 0.5)])
        self.assertEqual(self.newer.hours_remaining, 0.0)
        self.assertEqual(self.older.hours_remaining, 4.5)

    def test_smallest_pack_first(self):
        big = self._pack(self.cust_b, 5.0, self.month_start - relativedelta(days=20))
        small = self._pack(self.cust_b, 2.0, self.year_ago)
        small_newer = self._pack(self.cust_b, 0.5, self.month_start - relativedelta(days=5))
        self.cust_b.support_example_pack_order = "smallest"
        line = self._log(self._ticket(self.contact_b), 3.0)
        self.assertEqual(self._draws(line), [(small_newer, 0.5), (small, 2.0), (big, 0.5)])
        # Another customer keeps the suite's order.
        line_a = self._log(self._ticket(self.contact_a), 1.0)
        self.assertEqual(self._draws(line_a), [(self.older, 1.0)])

    def test_urgent_surcharge_and_invoice_line_field(self):
        self.type_on_demand.support_example_urgent_surcharge = 50.0
        urgent = self._ticket(self.contact_b, priority="2", name="Production down")
        normal = self._ticket(self.contact_b, name="A question")
        line = self._log(urgent, 2.0)
        self._log(normal, 2.0)
        self.assertEqual(line.support_billed_hours, 3.0)
        self.assertEqual((urgent.hours_to_invoice, normal.hours_to_invoice), (3.0, 2.0))
        # The full pass bills it as logging did.
        urgent._support_recompute_billing()
        self.assertEqual(line.support_billed_hours, 3.0)
        # Urgent no more before invoicing: billed at the plain rate again.
        urgent.priority = "1"
        self.assertEqual(urgent.hours_to_invoice, 2.0)
        urgent.priority = "2"
        self.assertEqual(urgent.hours_to_invoice, 3.0)
        move = self._invoice(self.cust_b)
        by_ticket = {inv_line.support_ticket_id: inv_line for inv_line in move.invoice_line_ids}
        self.assertEqual(by_ticket[urgent].quantity, 3.0)
        self.assertEqual(by_ticket[urgent].support_example_priority, "2")
        self.assertEqual(by_ticket[urgent].price_subtotal, 3000.0)
        self.assertEqual(by_ticket[normal].quantity, 2.0)
        self.assertFalse(by_ticket[normal].support_example_priority)
        self.assertEqual(line.support_billing_status, "invoiced")
        self.assertFalse(self._invoice(self.cust_b), "nothing billed twice")

    def test_surcharge_does_not_touch_pack_time(self):
        """Time drawn from a pack is prepaid: the surcharge applies to hourly hours only."""
        self.type_on_demand.support_example_urgent_surcharge = 100.0
        ticket = self._ticket(self.contact_a, priority="2")
        line = self._log(ticket, 6.0)  # 5 h + 1 h of packs, nothing hourly
        self.assertEqual(line.support_billing_status, "pack")
        self.assertEqual(line.support_billed_hours, 0.0)
        line2 = self._log(ticket, 1.0)
        self.assertEqual(line2.support_billed_hours, 2.0)
