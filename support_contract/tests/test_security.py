from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSecurity(SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Annat Bolag AB"})
        cls.other_user = cls._user(
            "sc_other_company",
            "support_contract.group_support_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.ticket = cls._ticket(cls.maint_key, cls.cat["bug_fix"])
        cls.pack = cls.env["support.hour.pack"].create(
            {
                "partner_id": cls.cust_ondemand.id,
                "hours": 25,
                "date_start": cls.today,
                "date_end": cls.today.replace(year=cls.today.year + 1),
            }
        )

    def test_consultant_reads_configuration_but_cannot_write_it(self):
        records = [
            self.agr_maint,
            self.type_maintenance,
            self.cat["bug_fix"],
            self.env.ref("support_contract.rule_bug_fix_maintenance"),
            self.stage_new,
            self.pack,
        ]
        for record in records:
            with self.subTest(model=record._name):
                as_consultant = record.with_user(self.consultant)
                as_consultant.check_access("read")
                self.assertTrue(as_consultant.display_name)
                with self.assertRaises(AccessError):
                    as_consultant.check_access("write")
                with self.assertRaises(AccessError):
                    as_consultant.unlink()
        self.assertEqual(self.agr_maint.state, "active")
        with self.assertRaises(AccessError):
            self.agr_maint.with_user(self.consultant).action_close()
        self.assertEqual(self.agr_maint.state, "active")
        with self.assertRaises(AccessError):
            self.env["support.coverage.rule"].with_user(self.consultant).create(
                {"category_id": self.cat["licenses"].id, "type_id": self.type_patch.id}
            )

    def test_consultant_works_tickets(self):
        Ticket = self.env["support.ticket"].with_user(self.consultant)
        ticket = Ticket.create(
            {
                "name": "Skrivaren skriver inte ut fakturor",
                "partner_id": self.maint_key.id,
                "category_id": self.cat["bug_fix"].id,
            }
        )
        self.assertEqual(ticket.coverage, "covered")
        self.assertIn(self.agr_maint.name, ticket.coverage_reason)
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        self.assertTrue(ticket.is_closed)
        self.assertFalse(ticket.can_override)
        self.assertTrue(ticket.with_user(self.manager).can_override)

    def test_other_company_sees_nothing(self):
        env = self.env(user=self.other_user)
        for model in ("support.ticket", "support.agreement", "support.hour.pack"):
            with self.subTest(model=model):
                self.assertFalse(env[model].search([]))
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.other_user).read(["name", "coverage"])
        with self.assertRaises(AccessError):
            self.agr_maint.with_user(self.other_user).read(["name"])
        with self.assertRaises(AccessError):
            self.pack.with_user(self.other_user).read(["hours"])
