import importlib.util

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestFeeLines(SupportCase):
    """An agreement's monthly fee is the sum of its fee lines in force."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = cls._user(
            "sc_fee_portal", "base.group_portal", partner_id=cls.contact[cls.cust_patch].id
        )
        cls.prod = cls.env["support.environment"].create(
            {"partner_id": cls.cust_patch.id, "name": "prod.fee.example.com"}
        )
        cls.staging = cls.env["support.environment"].create(
            {
                "partner_id": cls.cust_patch.id,
                "name": "staging.fee.example.com",
                "environment_type": "staging",
            }
        )

    def _lines_state(self, agreement):
        return [
            (line.environment_id, line.quantity, line.price_unit, line.date_end)
            for line in agreement.fee_line_ids
        ]

    def test_fee_is_the_sum_of_lines_in_force(self):
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.cust_patch.id,
                "type_id": self.type_patch.id,
                "date_start": self.year_ago,
                "fee_line_ids": [
                    (0, 0, {"environment_id": self.prod.id, "price_unit": 495.0}),
                    (0, 0, {"environment_id": self.staging.id, "quantity": 2, "price_unit": 100}),
                    (0, 0, {"name": "Retired", "price_unit": 50, "date_end": self.day}),
                    (0, 0, {"name": "Next month", "price_unit": 70, "date_start": self.next_m}),
                ],
            }
        )
        self.assertEqual(agreement.monthly_fee, 695.0, "retired and future lines are not in force")
        self.assertEqual(agreement.fee_line_ids[1].subtotal, 200.0)
        self.assertIn("prod.fee.example.com", agreement.fee_line_ids[0].display_name)
        # An agreement that ended: its fee on its last day.
        agreement.date_end = self.day
        self.assertEqual(agreement.monthly_fee, 745.0)

    @property
    def next_m(self):
        return self.today + relativedelta(months=1)

    def test_monthly_fee_written_sets_the_only_line(self):
        Agreement = self.env["support.agreement"]
        vals = {"partner_id": self.cust_patch.id, "type_id": self.type_patch.id}
        default = Agreement.create(vals)
        self.assertEqual(default.monthly_fee, self.type_patch.default_monthly_fee)
        self.assertEqual(default.fee_line_ids.price_unit, self.type_patch.default_monthly_fee)
        agreement = Agreement.create(dict(vals, monthly_fee=600.0))
        self.assertEqual(len(agreement.fee_line_ids), 1)
        self.assertEqual((agreement.monthly_fee, agreement.fee_line_ids.price_unit), (600, 600))
        agreement.monthly_fee = 650.0
        self.assertEqual(len(agreement.fee_line_ids), 1)
        self.assertEqual((agreement.monthly_fee, agreement.fee_line_ids.price_unit), (650, 650))
        # Without a line: one is made; 0 on no line makes none.
        empty = Agreement.create(dict(vals, monthly_fee=0.0))
        self.assertFalse(empty.fee_line_ids)
        empty.write({"monthly_fee": 300.0})
        self.assertEqual(empty.fee_line_ids.price_unit, 300.0)
        # Two lines: the user is told to change the lines, nothing changes.
        agreement.write({"fee_line_ids": [(0, 0, {"name": "Backups", "price_unit": 100})]})
        self.assertEqual(agreement.monthly_fee, 750.0)
        before = self._lines_state(agreement)
        with self.assertRaisesRegex(UserError, "2 fee lines"):
            agreement.write({"monthly_fee": 900.0})
        self.assertEqual(self._lines_state(agreement), before)
        self.assertEqual(agreement.monthly_fee, 750.0)
        # A form sends the lines and their sum together: accepted.
        agreement.write(
            {
                "fee_line_ids": [(1, agreement.fee_line_ids[1].id, {"price_unit": 150})],
                "monthly_fee": 800.0,
            }
        )
        self.assertEqual(agreement.monthly_fee, 800.0)

    def test_environment_of_the_customer_only(self):
        other = self.env["support.environment"].create(
            {"partner_id": self.cust_maint.id, "name": "other.fee.example.com"}
        )
        with self.assertRaises(ValidationError):
            self.agr_patch.write(
                {"fee_line_ids": [(0, 0, {"environment_id": other.id, "price_unit": 10})]}
            )
        with self.assertRaises(ValidationError):
            self.agr_patch.write(
                {
                    "fee_line_ids": [
                        (0, 0, {"price_unit": 10, "date_start": self.today, "date_end": self.day})
                    ]
                }
            )

    def test_only_managers_edit_fee_lines(self):
        agreement = self.agr_patch
        agreement.monthly_fee = 495.0
        line = agreement.fee_line_ids
        before = self._lines_state(agreement)
        manager_line = (
            self.env["support.agreement.fee.line"]
            .with_user(self.manager)
            .create({"agreement_id": agreement.id, "name": "Monitoring", "price_unit": 50})
        )
        manager_line.with_user(self.manager).write({"price_unit": 60})
        manager_line.with_user(self.manager).unlink()
        cases = [
            (self.consultant, "a consultant reads fee lines only"),
            (self.portal_user, "a portal user has no access to fee lines"),
        ]
        for user, why in cases:
            Line = self.env["support.agreement.fee.line"].with_user(user)
            attempts = [
                lambda Line=Line: Line.create(
                    {"agreement_id": agreement.id, "name": "Extra", "price_unit": 1}
                ),
                lambda Line=Line: Line.browse(line.id).write({"price_unit": 1.0}),
                lambda Line=Line: Line.browse(line.id).unlink(),
                lambda user=user: agreement.with_user(user).write({"monthly_fee": 1.0}),
                lambda user=user: agreement.with_user(user).write(
                    {"fee_line_ids": [(0, 0, {"name": "Extra", "price_unit": 1})]}
                ),
            ]
            for attempt in attempts:
                with self.subTest(why), self.assertRaises(AccessError):
                    attempt()
            self.assertEqual(self._lines_state(agreement), before, why)
            self.assertEqual(agreement.monthly_fee, 495.0, why)
        self.assertEqual(
            self.env["support.agreement.fee.line"]
            .with_user(self.consultant)
            .browse(line.id)
            .price_unit,
            495.0,
        )

    def test_daily_refresh(self):
        agreement = self.env["support.agreement"].create(
            {
                "partner_id": self.cust_patch.id,
                "type_id": self.type_patch.id,
                "date_start": self.year_ago,
                "fee_line_ids": [
                    (0, 0, {"price_unit": 495.0}),
                    (0, 0, {"name": "Staging", "price_unit": 100.0, "date_end": self.next_m}),
                ],
            }
        )
        self.assertEqual(agreement.monthly_fee, 595.0)
        # The line's end passes (written as time would: no recompute triggered).
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE support_agreement_fee_line SET date_end = %s WHERE id = %s",
            (self.day, agreement.fee_line_ids[1].id),
        )
        self.env.invalidate_all()
        self.assertEqual(agreement.monthly_fee, 595.0)
        cron = self.env.ref("support_contract.ir_cron_refresh_monthly_fees")
        cron.ir_actions_server_id.run()
        self.assertEqual(agreement.monthly_fee, 495.0)

    def test_migration_keeps_the_fee_as_one_line(self):
        """19.0.1.2.0: an agreement from before fee lines keeps its stored fee as one line."""
        agreements = self.agr_patch | self.agr_maint
        self.env.flush_all()
        # As before the upgrade: no lines, the fee in its column.
        self.env.cr.execute(
            "DELETE FROM support_agreement_fee_line WHERE agreement_id IN %s",
            (tuple(agreements.ids),),
        )
        self.env.cr.execute(
            "UPDATE support_agreement SET monthly_fee = CASE id WHEN %s THEN 495 ELSE 1995 END "
            "WHERE id IN %s",
            (self.agr_patch.id, tuple(agreements.ids)),
        )
        self.env.invalidate_all()
        self.assertFalse(agreements.fee_line_ids)
        path = file_path("support_contract/migrations/19.0.1.2.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("support_contract_post_migrate_12", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for _run in range(2):
            module.migrate(self.env.cr, "19.0.1.1.0")
            self.env.invalidate_all()
            self.assertEqual(len(self.agr_patch.fee_line_ids), 1)
            self.assertEqual(self.agr_patch.fee_line_ids.price_unit, 495.0)
            self.assertEqual(self.agr_maint.fee_line_ids.price_unit, 1995.0)
            self.assertEqual(self.agr_patch.monthly_fee, 495.0)
            self.assertEqual(self.agr_maint.monthly_fee, 1995.0)
        # Written afterwards: the one line's price.
        self.agr_patch.monthly_fee = 595.0
        self.assertEqual(self.agr_patch.fee_line_ids.price_unit, 595.0)
