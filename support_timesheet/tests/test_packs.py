from dateutil.relativedelta import relativedelta

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestPacks(SupportTimesheetCase):
    def _sell_packs(self, partner):
        """Post an invoice selling two 25 h packs to `partner`: (invoice, packs it created)."""
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": self.month_start,
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.pack_25.id, "quantity": 2, "price_unit": 100})
                ],
            }
        )
        move.action_post()
        packs = self.env["support.hour.pack"].search([("invoice_line_id.move_id", "=", move.id)])
        return move, packs

    def test_draw_split_and_hourly(self):
        pack = self._pack(self.cust_a, 2.0)
        ticket = self._ticket(self.contact_a)
        line1 = self._log(ticket, 1.5)
        self.assertEqual(line1.support_billing_status, "pack")
        self.assertEqual(line1.support_pack_hours, 1.5)
        self.assertEqual(pack.hours_remaining, 0.5)
        line2 = self._log(ticket, 1.0)
        self.assertEqual(line2.unit_amount, 1.0, "the consultant's hours are not rewritten")
        self.assertEqual(line2.support_pack_hours, 0.5)
        self.assertEqual(line2.support_billed_hours, 0.5)
        self.assertEqual(line2.support_billing_status, "to_invoice")
        self.assertIn(pack.name, line2.support_billing_reason)
        self.assertEqual(pack.hours_remaining, 0.0)
        self.assertEqual(pack.hours_used, 2.0)
        self.assertEqual(ticket.hours_from_pack, 2.0)
        self.assertEqual(ticket.hours_to_invoice, 0.5)
        move = self._invoice()
        self.assertEqual(move.invoice_line_ids.quantity, 0.5)
        self.assertEqual(move.amount_untaxed, 500.0)

    def test_line_crosses_two_packs_oldest_first(self):
        newer = self._pack(self.cust_a, 1.0, date_start=self.year_ago + relativedelta(months=2))
        older = self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 3.0)
        draws = line.support_consumption_ids.sorted("pack_id")
        self.assertEqual({(c.pack_id, c.hours) for c in draws}, {(older, 1.0), (newer, 1.0)})
        self.assertEqual(line.support_pack_hours, 2.0)
        self.assertEqual(line.support_billed_hours, 1.0)
        self.assertEqual((older | newer).mapped("hours_remaining"), [0.0, 0.0])

    def test_pack_validity_by_work_date(self):
        pack = self._pack(self.cust_a, 5.0, date_start=self.month_start, date_end=self.month_start)
        ticket = self._ticket(self.contact_a, request_date=self.month_start - relativedelta(days=3))
        before = self._log(ticket, 1.0, date=self.month_start - relativedelta(days=1))
        self.assertEqual(before.support_billing_status, "to_invoice")
        inside = self._log(ticket, 1.0, date=self.month_start)
        self.assertEqual(inside.support_billing_status, "pack")
        self.assertEqual(pack.hours_remaining, 4.0)

    def test_minimum_drawn_from_pack(self):
        pack = self._pack(self.cust_a, 5.0)
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.25)
        self.assertEqual(ticket.hours_billed, 0.5)
        self.assertEqual(ticket.hours_from_pack, 0.5)
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertEqual(pack.hours_remaining, 4.5)

    def test_decision_change_releases_pack(self):
        pack = self._pack(self.cust_a, 5.0)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 2.0)
        self.assertEqual(pack.hours_remaining, 3.0)
        ticket.write({"coverage_override": "covered", "coverage_override_reason": "Our bug"})
        self.assertEqual(line.support_billing_status, "covered")
        self.assertFalse(line.support_consumption_ids)
        self.assertEqual(pack.hours_remaining, 5.0)

    def test_pack_never_negative(self):
        pack = self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 5.0)
        self.assertEqual(pack.hours_remaining, 0.0)
        with self.assertRaises(ValidationError):
            self.env["support.hour.pack.consumption"].create(
                {
                    "pack_id": pack.id,
                    "ticket_id": ticket.id,
                    "partner_id": self.cust_a.id,
                    "hours": -1.0,
                    "date": self.month_start,
                }
            )

    def test_new_pack_absorbs_uninvoiced_time(self):
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 2.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self._pack(self.cust_a, 25.0)
        self.assertEqual(line.support_billing_status, "pack")
        self.assertEqual(ticket.hours_to_invoice, 0.0)

    def test_pack_created_by_posted_invoice(self):
        move, packs = self._sell_packs(self.contact_b)
        self.assertEqual(len(packs), 2)
        self.assertEqual(packs.partner_id, self.cust_b)
        self.assertEqual(packs.mapped("hours"), [25.0, 25.0])
        self.assertEqual(packs[0].date_start, self.month_start)
        self.assertEqual(packs[0].date_end, self.month_start + relativedelta(years=1, days=-1))
        move._support_create_packs()  # idempotent
        self.assertEqual(
            self.env["support.hour.pack"].search_count([("invoice_line_id.move_id", "=", move.id)]),
            2,
        )

    def test_pack_product_without_hours(self):
        with self.assertRaises(ValidationError):
            self.env["product.template"].create(
                {"name": "Empty pack", "type": "service", "support_is_pack": True}
            )
        form = Form(self.env["product.template"])
        form.name = "Pack 10"
        form.type = "service"
        form.support_is_pack = True
        form.support_pack_hours = 10
        self.assertEqual(form.save().support_pack_hours, 10)

    def test_balance_warning(self):
        self.cust_a.user_id = self.accountant
        self.cust_a.support_pack_warning_hours = 5.0
        pack = self._pack(self.cust_a, 6.0)
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.5)
        self.assertFalse(pack.warning_sent)
        self._log(ticket, 1.0)
        self.assertTrue(pack.warning_sent)
        self.assertEqual(pack.activity_ids.user_id, self.accountant)
        self.assertFalse(
            pack.message_ids.filtered(lambda m: self.cust_a in m.partner_ids),
            "the customer's notice is support_portal's, not a message here",
        )
        self._log(ticket, 1.0)
        self.assertEqual(len(pack.activity_ids), 1, "warned once")

    def test_cancelled_pack_sale(self):
        move, packs = self._sell_packs(self.cust_b)
        self._log(self._ticket(self.contact_b), 2.0)
        used = packs.filtered("consumption_ids")
        self.assertEqual(len(used), 1)
        move.button_cancel()
        self.assertEqual(packs.exists(), used, "the unused pack goes, the used one stays")
        self.assertIn(move.display_name, used.message_ids[0].body)

    def test_pack_hours_below_drawn(self):
        pack = self._pack(self.cust_a, 5.0)
        self._log(self._ticket(self.contact_a), 3.0)
        with self.assertRaisesRegex(ValidationError, "already drawn"):
            pack.hours = 2.0
        pack.hours = 3.0
        self.assertEqual(pack.hours_remaining, 0.0)

    def test_pack_dates_change_rebills(self):
        """Shortening a pack releases the uninvoiced work it no longer covers; extending it
        draws again."""
        pack = self._pack(self.cust_a, 10.0, date_start=self.month_start - relativedelta(months=1))
        earlier = self._log(
            self._ticket(self.contact_a), 1.0, date=self.month_start - relativedelta(days=1)
        )
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 2.0)
        self.assertEqual(line.support_billing_status, "pack")
        self.assertEqual(pack.hours_used, 3.0)

        pack.date_end = self.month_start - relativedelta(days=1)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.support_pack_hours, 0.0)
        self.assertEqual(ticket.hours_to_invoice, 2.0)
        self.assertEqual(earlier.support_billing_status, "pack", "work inside the dates stays")
        self.assertEqual(pack.hours_used, 1.0)

        pack.date_end = self.month_start + relativedelta(months=6)
        self.assertEqual(line.support_billing_status, "pack")
        self.assertEqual(ticket.hours_to_invoice, 0.0)
        self.assertEqual(pack.hours_used, 3.0)

    def test_separate_category_does_not_draw_from_packs(self):
        """Services charged separately keep their own rate and leave the packs to support."""
        pack = self._pack(self.cust_a, 10.0)
        licenses = self.env.ref("support_contract.category_licenses")
        self.assertFalse(licenses.draws_from_packs)
        separate = self._ticket(self.contact_a, licenses)
        line = self._log(separate, 2.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.support_pack_hours, 0.0)
        self.assertFalse(line.support_consumption_ids)
        self.assertEqual(pack.hours_remaining, 10.0)
        support = self._ticket(self.contact_a)
        self.assertEqual(self._log(support, 1.0).support_billing_status, "pack")
        self.assertEqual(pack.hours_remaining, 9.0)
        move = self._invoice()
        product = self.env.ref("support_timesheet.product_technical_service_hour")
        self.assertEqual(move.invoice_line_ids.support_ticket_id, separate)
        self.assertEqual(move.invoice_line_ids.product_id, product)
        self.assertEqual(move.invoice_line_ids.price_unit, product.lst_price)
        self.assertEqual(move.amount_untaxed, 2 * product.lst_price)
        # A manager lets the category draw from packs: its work not invoiced yet follows.
        other = self._ticket(self.contact_a, licenses)
        other_line = self._log(other, 1.0)
        self.assertEqual(other_line.support_billing_status, "to_invoice")
        licenses.draws_from_packs = True
        self.assertEqual(other_line.support_billing_status, "pack")
        self.assertEqual(pack.hours_remaining, 8.0)
        self.assertEqual(line.support_billing_status, "invoiced")
