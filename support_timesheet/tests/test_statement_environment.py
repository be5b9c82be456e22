import io

from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestStatementEnvironment(SupportTimesheetCase):
    """Last month's statement shows per environment what the fees delivered; its patch records
    are locked once it is sent."""

    def _text(self, statement):
        """The statement's text as stored (a PDF where wkhtmltopdf renders it)."""
        raw = statement.attachment_id.raw
        if statement.attachment_id.mimetype == "application/pdf":
            reader = PdfReader(io.BytesIO(raw))
            text = " ".join(page.extract_text() for page in reader.pages)
        else:
            text = raw.decode()
        return " ".join(text.split())

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start = cls.month_start - relativedelta(months=1)
        cls.end = cls.month_start - relativedelta(days=1)
        cls.day = cls.start + relativedelta(days=4)
        cls.cust_patch.lang = "en_US"
        cls.prod = cls.env["support.environment"].create(
            {
                "partner_id": cls.cust_patch.id,
                "name": "odoo.patchkund.example.com",
                "agreement_ids": [(6, 0, cls.agr_patch.ids)],
            }
        )
        cls.idle = cls.env["support.environment"].create(
            {"partner_id": cls.cust_patch.id, "name": "idle.patchkund.example.com"}
        )
        covered = cls._ticket(
            cls.contact_patch,
            cls.cat_tech,
            name="VPN tunnel down",
            request_date=cls.day,
            environment_id=cls.prod.id,
            upstream_bug_url="https://github.com/odoo/odoo/issues/777",
            upstream_bug_state="reported",
        )
        cls._log(covered, 2.5, date=cls.day)
        cls.covered = covered
        # Billable work on the same environment is not part of what the fee delivered.
        billable = cls._ticket(
            cls.contact_patch,
            name="Correct the stock",
            request_date=cls.day,
            environment_id=cls.prod.id,
        )
        cls._log(billable, 1.0, date=cls.day)
        cls.patch = cls.env["support.patch.record"].create(
            {
                "environment_id": cls.prod.id,
                "date": cls.day,
                "patch_type": "infrastructure",
                "version_before": "kernel-6.8.0-45",
                "version_after": "kernel-6.8.0-49",
                "result": "done",
                "downtime_minutes": 14,
            }
        )
        cls.this_month = cls.env["support.patch.record"].create(
            {
                "environment_id": cls.prod.id,
                "date": cls.month_start,
                "patch_type": "infrastructure",
                "result": "failed",
            }
        )

    def _issue(self):
        wizard = (
            self.env["support.statement.create"]
            .with_user(self.accountant)
            .with_context(force_report_rendering=True)
            .create({"date": self.start, "partner_ids": [(6, 0, self.cust_patch.ids)]})
        )
        return self.env["support.statement"].search(wizard.action_issue()["domain"])

    def test_per_environment(self):
        statement = self._issue()
        values = statement._statement_values()
        self.assertEqual([row["environment"] for row in values["environments"]], [self.prod])
        row = values["environments"][0]
        self.assertEqual(row["patches"], self.patch, "the month's patches only")
        self.assertEqual([r["ticket"] for r in row["requests"]], [self.covered])
        self.assertEqual(row["hours"], 2.5)
        # The customer's rate, as invoiced: the hour product's price (1000) here.
        self.assertEqual(row["value"], 2500.0)
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Patchkund",
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        },
                    ),
                ],
            }
        )
        self.cust_patch.property_product_pricelist = pricelist
        value = statement._statement_values()["environments"][0]["value"]
        self.assertEqual(value, 2250.0, "the customer's pricelist, as on its invoices")
        self.assertEqual(values["upstream_bugs"], self.covered)

    def test_statement_text(self):
        statement = self._issue()
        text = self._text(statement)
        for expected in (
            "What your agreements delivered, per environment",
            "odoo.patchkund.example.com",
            "kernel-6.8.0-45",
            "kernel-6.8.0-49",
            "Covered requests handled: 1",
            "02:30 h: covered work worth $ 2,500.00 at your hourly rate.",
            "Bugs registered with Odoo, still open",
            "https://github.com/odoo/odoo/issues/777",
            "Reported",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("idle.patchkund.example.com", text, "nothing happened there")

    def test_locked_once_sent(self):
        self.patch.write({"downtime_minutes": 15})
        statement = self._issue()
        self.assertEqual(statement.state, "sent")
        self.assertTrue(self.patch.is_locked)
        self.assertFalse(self.this_month.is_locked)
        consultant_patch = self.patch.with_user(self.consultant)
        with self.assertRaises(UserError):
            consultant_patch.write({"downtime_minutes": 0})
        with self.assertRaises(UserError):
            self.patch.write({"result": "failed"})
        with self.assertRaises(UserError):
            self.patch.unlink()
        with self.assertRaises(UserError):
            self.this_month.write({"date": self.day})
        with self.assertRaises(UserError):
            self.env["support.patch.record"].create(
                {
                    "environment_id": self.prod.id,
                    "date": self.day,
                    "patch_type": "custom_code",
                    "result": "done",
                }
            )
        self.assertEqual(
            (self.patch.downtime_minutes, self.patch.result, self.this_month.date),
            (15, "done", self.month_start),
        )
        self.this_month.write({"downtime_minutes": 3})
        self.assertEqual(self.this_month.downtime_minutes, 3)
