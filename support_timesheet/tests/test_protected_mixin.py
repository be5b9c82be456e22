from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestProtectedMixin(SupportTimesheetCase):
    """Every model with fields only the server writes gets its protection from one home,
    ``support.protected.mixin``: the same refusals on ``write``, ``create`` and ``default_*``
    context keys, whether the model is the suite's own or an extension of Odoo's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user(
            "st_pm_manager", "support_contract.group_support_manager,base.group_partner_manager"
        )
        cls.editor = cls._user(
            "st_pm_editor",
            "support_contract.group_support_user,base.group_partner_manager",
        )
        cls.ticket = cls._ticket(cls.contact_b)
        cls.line = cls._log(cls.ticket, 1.0)
        cls.move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.cust_a.id,
                "invoice_line_ids": [(0, 0, {"name": "Work", "quantity": 1, "price_unit": 10})],
            }
        )
        cls.pack = cls._pack(cls.cust_a, 25.0)
        cls.invoice_run = (
            cls.env["support.invoice.run"]
            .with_user(cls.accountant)
            .create({"date_from": cls.month_start, "date_to": cls.today})
        )

    def _rows(self):
        """model, user who may otherwise create and write it, record, protected field, forged
        value, valid creation values, users besides the superuser who may set the field."""
        return [
            (
                "support.ticket",
                self.consultant,
                self.ticket,
                "coverage",
                "covered",
                {
                    "name": "Another request",
                    "partner_id": self.contact_b.id,
                    "category_id": self.cat_db.id,
                    "request_date": self.month_start,
                },
                (),
            ),
            (
                "account.analytic.line",
                self.consultant,
                self.line,
                "support_billing_status",
                "covered",
                {"support_ticket_id": self.ticket.id, "unit_amount": 1.0, "name": "More"},
                (),
            ),
            (
                "account.move",
                self.accountant,
                self.move,
                "support_released",
                True,
                {"move_type": "out_invoice", "partner_id": self.cust_a.id},
                (),
            ),
            (
                "account.move.line",
                self.accountant,
                self.move.invoice_line_ids,
                "support_ticket_id",
                self.ticket.id,
                {"move_id": self.move.id, "name": "Extra", "quantity": 1, "price_unit": 5},
                (),
            ),
            (
                "support.hour.pack",
                self.manager,
                self.pack,
                "warning_sent",
                True,
                {
                    "partner_id": self.cust_b.id,
                    "hours": 25.0,
                    "date_start": self.month_start,
                    "date_end": self.month_start + relativedelta(years=1),
                },
                (),
            ),
            (
                "support.invoice.run",
                self.accountant,
                self.invoice_run,
                "state",
                "done",
                {"date_from": self.month_start, "date_to": self.today},
                (),
            ),
            (
                "res.partner",
                self.editor,
                self.cust_b,
                "support_cost_control",
                True,
                {"name": "Kund C AB", "is_company": True},
                (self.manager,),
            ),
        ]

    def _value(self, record, fname):
        value = record[fname]
        return value.id if hasattr(value, "_name") else value

    def test_one_home_refuses_forged_values_on_every_model(self):
        mixin = type(self.env["support.protected.mixin"])
        for model, user, record, fname, forged, create_vals, allowed in self._rows():
            reason = f"{model}.{fname} as {user.login}"
            Model = self.env[model].with_user(user)
            with self.subTest(reason, check="inherits the mixin"):
                self.assertIsInstance(Model, mixin, reason)
                self.assertIn(fname, Model._support_protected_fields(), reason)
            before = self._value(record, fname)
            self.assertNotEqual(before, forged, reason)
            with self.subTest(reason, check="write"):
                with self.assertRaises(AccessError, msg=reason):
                    record.with_user(user).write({fname: forged})
                self.assertEqual(self._value(record, fname), before, reason)
                # The user's own edits of other fields still pass, as does an unchanged value.
                record.with_user(user).write({fname: before})
            with self.subTest(reason, check="create"):
                count = self.env[model].search_count([])
                with self.assertRaises(AccessError, msg=reason):
                    Model.create(dict(create_vals, **{fname: forged}))
                self.assertEqual(self.env[model].search_count([]), count, reason)
            with self.subTest(reason, check="default_ context key"):
                created = Model.with_context(**{f"default_{fname}": forged}).create(create_vals)
                self.assertNotEqual(self._value(created, fname), forged, reason)
            with self.subTest(reason, check="sudo passes"):
                record.sudo().write({fname: forged})
                self.assertEqual(self._value(record, fname), forged, reason)
                record.sudo().write({fname: before})
            for other in allowed:
                with self.subTest(reason, check=f"{other.login} may set it"):
                    record.with_user(other).write({fname: forged})
                    self.assertEqual(self._value(record, fname), forged, reason)
