from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestAgreement(SupportCase):
    def test_reference_and_fee_from_type(self):
        self.assertTrue(self.agr_patch.name.startswith("AGR/"))
        self.assertEqual(self.agr_patch.monthly_fee, self.type_patch.default_monthly_fee)
        self.assertEqual(self.agr_patch.type_code, "patch")

    def test_end_before_start(self):
        with self.assertRaises(ValidationError) as caught:
            self.agr_patch.date_end = self.year_ago - relativedelta(days=1)
        self.assertIn("before the start date", str(caught.exception))
        self.assertFalse(self.agr_patch.date_end)

    def test_key_user_of_other_customer(self):
        stranger = self.contact[self.cust_patch]
        with self.assertRaises(ValidationError) as caught:
            self.agr_maint.key_user_ids = [(4, stranger.id)]
        self.assertIn("not contacts of", str(caught.exception))
        self.assertEqual(self.agr_maint.key_user_ids, self.maint_key)

    def test_customer_must_be_company(self):
        with self.assertRaises(ValidationError):
            self.env["support.agreement"].create(
                {"partner_id": self.maint_key.id, "type_id": self.type_patch.id}
            )

    def test_maintenance_needs_patch_to_activate(self):
        customer = self.env["res.partner"].create({"name": "Ny Kund AB", "is_company": True})
        maint = self.env["support.agreement"].create(
            {"partner_id": customer.id, "type_id": self.type_maintenance.id}
        )
        self.assertFalse(maint.prerequisite_ok)
        with self.assertRaises(UserError) as caught:
            maint.action_activate()
        self.assertIn("Server Patch Agreement", str(caught.exception))
        self.assertEqual(maint.state, "draft")
        # A patch agreement ending before an open-ended maintenance does not suffice either.
        patch = self.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": self.type_patch.id,
                "date_start": self.today,
                "date_end": self.today + relativedelta(months=6),
            }
        )
        patch.action_activate()
        with self.assertRaises(UserError):
            maint.action_activate()
        self.assertEqual(maint.state, "draft")
        patch.date_end = False
        maint.action_activate()
        self.assertEqual(maint.state, "active")
        self.assertTrue(maint.prerequisite_ok)

    def test_first_uncovered_day(self):
        gap = self.env["support.agreement"]._first_uncovered_day
        d = self.today
        day = relativedelta(days=1)
        self.assertFalse(gap(d, d + 10 * day, [(d, False), (d, d + day)]))
        self.assertFalse(gap(d, False, [(d - day, d + 3 * day), (d + 2 * day, False)]))
        self.assertEqual(gap(d, False, [(d, d + 3 * day)]), d + 4 * day)
        self.assertEqual(gap(d, d + 9 * day, [(d, d + 3 * day), (d + 5 * day, False)]), d + 4 * day)
        self.assertEqual(gap(d, d, []), d)
        self.assertFalse(gap(d, d + 3 * day, [(d - day, d + 3 * day)]))

    def test_uncovered_periods(self):
        gaps = self.env["support.agreement"]._uncovered_periods
        d = self.today
        day = relativedelta(days=1)
        self.assertEqual(gaps(d, d + 9 * day, []), [(d, d + 9 * day)])
        self.assertEqual(
            gaps(d, d + 9 * day, [(d + 2 * day, d + 3 * day), (d + 6 * day, d + 20 * day)]),
            [(d, d + day), (d + 4 * day, d + 5 * day)],
        )
        self.assertEqual(gaps(d, False, [(d - day, d + 3 * day)]), [(d + 4 * day, False)])
        self.assertEqual(gaps(d, d, [(d + day, False)]), [(d, d)])
        self.assertEqual(gaps(d, False, [(d, False)]), [])

    def test_in_force_and_key_user_on_a_date(self):
        """In force: active or closed, on the days it runs; a Key User is named on one."""
        Agreement = self.env["support.agreement"]
        before = self.year_ago - relativedelta(days=1)
        in_force = Agreement.search(
            Agreement._get_in_force_domain() & Domain("partner_id", "=", self.cust_lapsed.id)
        )
        self.assertEqual(in_force, self.agr_lapsed, "the patch agreement ended a month ago")
        self.assertEqual(
            self.agr_lapsed_patch._filter_in_force(self.today - relativedelta(months=2)),
            self.agr_lapsed_patch,
        )
        self.assertFalse(self.agr_lapsed._filter_in_force(before))
        self.assertTrue(self.maint_key._is_support_key_user())
        self.assertTrue(self.maint_key._is_support_key_user(self.day))
        self.assertFalse(self.maint_key._is_support_key_user(before))
        self.assertFalse(self.contact[self.cust_maint]._is_support_key_user())
        self.assertEqual(self.cust_maint.support_key_user_ids, self.maint_key)
        self.assertEqual(
            self.env["res.partner"].search([("support_key_user_ids", "in", self.maint_key.ids)]),
            self.cust_maint,
        )
        self.agr_maint.action_cancel()
        self.assertFalse(self.maint_key._is_support_key_user(self.day))
        self.assertFalse(self.cust_maint.support_key_user_ids)
        self.assertFalse(
            self.env["res.partner"].search([("support_key_user_ids", "in", self.maint_key.ids)])
        )

    def test_lapsed_prerequisite_warning(self):
        self.assertFalse(self.agr_lapsed.prerequisite_ok)
        self.assertIn("Server Patch Agreement", self.agr_lapsed.prerequisite_warning)
        self.assertTrue(self.agr_maint.prerequisite_ok)
        self.assertFalse(self.agr_maint.prerequisite_warning)
        self.agr_maint_patch.action_close()
        self.assertFalse(self.agr_maint.prerequisite_ok)

    def test_lifecycle(self):
        agreement = self.env["support.agreement"].create(
            {"partner_id": self.cust_none.id, "type_id": self.type_on_demand.id}
        )
        self.assertEqual(agreement.state, "draft")
        with self.assertRaises(UserError):
            agreement.action_close()
        agreement.action_activate()
        self.assertEqual(agreement.state, "active")
        with self.assertRaises(UserError):
            agreement.action_activate()
        agreement.action_close()
        self.assertEqual(agreement.state, "closed")
        self.assertEqual(agreement.date_end, self.today)
        with self.assertRaises(UserError):
            agreement.action_cancel()
        other = self.env["support.agreement"].create(
            {"partner_id": self.cust_none.id, "type_id": self.type_on_demand.id}
        )
        other.action_cancel()
        self.assertEqual(other.state, "cancelled")
        other.action_draft()
        self.assertEqual(other.state, "draft")
        with self.assertRaises(UserError):
            agreement.unlink()
        self.assertTrue(agreement.exists())
        other.unlink()
        self.assertFalse(other.exists())

    def test_cron_one_patch_ticket_per_month(self):
        Agreement = self.env["support.agreement"]
        tickets = Agreement._cron_create_patch_tickets()
        mine = self.env["support.agreement"].search(
            [("partner_id", "in", [customer.id for customer in self.contact])]
        )
        tickets = tickets.filtered(lambda t: t.patch_agreement_id in mine)
        self.assertEqual(tickets.patch_agreement_id, self.agr_maint, "lapsed maintenance skipped")
        self.assertEqual(len(tickets), 1)
        self.assertEqual(tickets.category_id, self.cat["source_patch_install"])
        self.assertEqual(tickets.coverage, "covered")
        self.assertEqual(tickets.patch_period, self.today.strftime("%Y-%m"))
        count = self.env["support.ticket"].search_count([])
        self.assertFalse(Agreement._cron_create_patch_tickets())
        self.env.ref("support_contract.ir_cron_create_patch_tickets").ir_actions_server_id.run()
        self.assertEqual(self.env["support.ticket"].search_count([]), count)
        next_month = Agreement._cron_create_patch_tickets(self.today + relativedelta(months=1))
        self.assertEqual(len(next_month.filtered(lambda t: t.patch_agreement_id in mine)), 1)

    def test_cron_per_company(self):
        other = self.env["res.company"].create({"name": "Cloudworkz Norge AS"})
        customer = self.env["res.partner"].create({"name": "Norsk Kunde AS", "is_company": True})
        vals = {"partner_id": customer.id, "date_start": self.year_ago, "company_id": other.id}
        Agreement = self.env["support.agreement"].with_company(other)
        Agreement.create(dict(vals, type_id=self.type_patch.id)).action_activate()
        maint = Agreement.create(dict(vals, type_id=self.type_maintenance.id))
        maint.action_activate()
        tickets = Agreement._cron_create_patch_tickets()
        self.assertEqual(len(tickets.filtered(lambda t: t.company_id == other)), 1)
        ticket = tickets.filtered(lambda t: t.patch_agreement_id == maint)
        self.assertEqual(ticket.company_id, other)
        self.assertEqual(ticket.coverage, "covered")

    def test_cron_category_is_a_setting(self):
        """The monthly patch ticket's category is a company setting, not a code."""
        self.assertEqual(self.company.support_patch_category_id, self.cat["source_patch_install"])
        # A manager makes the code upgrade the monthly ticket (maintenance includes it).
        settings = Form(self.env["res.config.settings"])
        settings.support_patch_category_id = self.cat["code_upgrade"]
        settings.save().execute()
        self.assertEqual(self.company.support_patch_category_id, self.cat["code_upgrade"])
        tickets = self.env["support.agreement"]._cron_create_patch_tickets()
        ticket = tickets.filtered(lambda t: t.patch_agreement_id == self.agr_maint)
        self.assertEqual(ticket.category_id, self.cat["code_upgrade"])
        self.assertEqual(ticket.coverage, "covered")
        # A category no agreement type includes: no ticket; no category: none either.
        Agreement = self.env["support.agreement"]
        next_month = self.today + relativedelta(months=1)
        self.company.support_patch_category_id = self.cat["licenses"]
        tickets = Agreement._cron_create_patch_tickets(next_month)
        self.assertFalse(tickets.filtered(lambda t: t.company_id == self.company))
        self.company.support_patch_category_id = False
        tickets = Agreement._cron_create_patch_tickets(next_month)
        self.assertFalse(tickets.filtered(lambda t: t.company_id == self.company))

    def test_pack_constraints(self):
        Pack = self.env["support.hour.pack"]
        vals = {
            "partner_id": self.cust_ondemand.id,
            "hours": 25,
            "date_start": self.today,
            "date_end": self.today + relativedelta(years=1),
        }
        pack = Pack.create(vals)
        self.assertTrue(pack.name.startswith("PACK/"))
        self.assertEqual(pack.hours_remaining, 25)
        self.assertEqual(pack.state, "active")
        self.assertIn(pack, Pack.search([("state", "=", "active")]))
        count = Pack.search_count([])
        for bad in ({"hours": 0}, {"hours": -5}, {"date_end": self.today - relativedelta(days=1)}):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                Pack.create(dict(vals, **bad))
        self.assertEqual(Pack.search_count([]), count)
        with self.assertRaises(ValidationError):
            pack.hours = -1
        self.assertEqual(pack.hours, 25)
        pack.write(
            {
                "date_start": self.today - relativedelta(days=30),
                "date_end": self.today - relativedelta(days=1),
            }
        )
        self.assertEqual(pack.state, "expired")
        self.assertIn(pack, Pack.search([("state", "=", "expired")]))

    def test_duplicate_codes(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.cr.savepoint():
                self.env["support.service.category"].create({"code": "bug_fix", "name": "Dup"})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            with self.cr.savepoint():
                self.env["support.agreement.type"].create({"code": "patch", "name": "Dup"})
