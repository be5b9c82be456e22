import io

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestStatement(SupportTimesheetCase):
    """Last month's statement of a customer with a pack, covered, billable and held work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start = cls.month_start - relativedelta(months=1)
        cls.end = cls.month_start - relativedelta(days=1)
        day = cls.start + relativedelta(days=4)
        cls.cust_patch.lang = "en_US"
        cls.agr_patch.fee_date_from = cls.start
        cls.pack = cls._pack(cls.cust_patch, 4.0)
        covered = cls._ticket(
            cls.contact_patch, cls.cat_tech, name="Patch the mail server", request_date=day
        )
        cls._log(covered, 2.0, date=day)
        drawn = cls._ticket(cls.contact_patch, name="Correct the stock levels", request_date=day)
        cls._log(drawn, 3.0, date=day)
        split = cls._ticket(cls.contact_patch, name="Fix the price list", request_date=day)
        cls._log(split, 2.0, date=day)  # 1 h from the pack, 1 h invoiced
        cls.env["support.invoice.create"].with_user(cls.accountant)._create_invoices_for(
            cls.cust_patch, cls.start, cls.end
        ).action_post()
        cls.agr_patch._invoice_monthly_fees(until=cls.end).action_post()
        cls.cust_patch.support_cost_control = True
        held = cls._ticket(cls.contact_patch, name="Export to the bank", request_date=day)
        cls._log(held, 1.5, date=day)
        cls.held = held
        cls.split = split
        # Another customer's work of the same month.
        other = cls._ticket(cls.contact_b, name="Secret project of Kund B", request_date=day)
        cls._log(other, 1.0, date=day)
        cls.manager = cls._user("st_stmt_manager", "support_contract.group_support_manager")

    def _issue(self, user=None, **context):
        wizard = (
            self.env["support.statement.create"]
            .with_user(user or self.accountant)
            .with_context(**context)
            .create({"date": self.start, "partner_ids": [(6, 0, self.cust_patch.ids)]})
        )
        action = wizard.action_issue()
        return self.env["support.statement"].search(action["domain"])

    def _text(self, statement):
        """The statement's text as stored: a PDF where wkhtmltopdf renders it."""
        raw = statement.attachment_id.raw
        if statement.attachment_id.mimetype == "application/pdf":
            reader = PdfReader(io.BytesIO(raw))
            text = " ".join(page.extract_text() for page in reader.pages)
        else:
            text = raw.decode()
        return " ".join(text.split())

    def test_held_hours_beyond_a_pack_count_once(self):
        """Work held for approval once a pack ran out: its pack hours count once, as drawn."""
        self.cust_a.support_cost_control = True
        self._key_user_agreement(self.cust_a, self.contact_a)
        self._pack(self.cust_a, 1.0)
        day = self.start + relativedelta(days=4)
        ticket = self._ticket(self.contact_a, name="Held after the pack", request_date=day)
        line = self._log(ticket, 3.0, date=day)
        self.assertEqual(line.support_billing_status, "held")
        self.assertEqual(line.support_pack_hours, 1.0)
        wizard = (
            self.env["support.statement.create"]
            .with_user(self.accountant)
            .create({"date": self.start, "partner_ids": [(6, 0, self.cust_a.ids)]})
        )
        statement = self.env["support.statement"].search(wizard.action_issue()["domain"])
        totals = statement._statement_values()["totals"]
        self.assertEqual((totals["pack"], totals["held"]), (1.0, 2.0))

    def test_statement_content(self):
        self.assertEqual(self.held.approval_state, "pending")
        statement = self._issue(force_report_rendering=True)
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.attachment_id.mimetype, "application/pdf")
        self.assertEqual(
            (statement.partner_id, statement.date, statement.version, statement.state),
            (self.cust_patch, self.start, 1, "sent"),
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("support_timesheet.support_statement_report", statement.ids)[0]
            .decode()
        )
        for text in (
            "Patch the mail server",
            "Correct the stock levels",
            "Fix the price list",
            "Export to the bank",
            statement.partner_id.name,
            self.agr_patch.name,
            self.pack.name,
            "<svg",
        ):
            self.assertIn(text, html)
        self.assertNotIn("Secret project", html)
        values = statement._statement_values()
        self.assertEqual(
            values["totals"],
            {"covered": 2.0, "pack": 4.0, "invoiced": 1.0, "to_invoice": 0.0, "held": 1.5},
        )
        self.assertEqual(values["packs"][0]["remaining"], 0.0)
        (fee,) = values["agreements"][0]["fees"]
        self.assertEqual((fee["state"], fee["amount"]), ("invoiced", 495.0))
        self.assertEqual(values["agreements"][0]["fee_amount"], 495.0)

        # The stored document: rendered once, with the same content, the other customer absent.
        text = self._text(statement)
        self.assertIn("Fix the price list", text)
        self.assertIn("Export to the bank", text)
        self.assertNotIn("Secret project", text)

        # Sent by e-mail with the stored PDF.
        message = statement.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(message.attachment_ids, statement.attachment_id)
        self.assertIn(self.cust_patch, message.partner_ids)

        # It never changes: later work does not alter it, a re-issue is a new version.
        stored = statement.attachment_id.raw
        self._log(self.split, 1.0, date=self.start + relativedelta(days=6))
        with self.assertRaises(AccessError):
            statement.with_user(self.accountant).write({"version": 7})
        with self.assertRaises(UserError):
            statement.with_user(self.accountant).unlink()
        new = statement.with_user(self.accountant).action_reissue()
        new = self.env["support.statement"].search(new["domain"])
        self.assertEqual(new.version, 2)
        self.assertEqual(statement.attachment_id.raw, stored)
        self.assertNotEqual(new.attachment_id, statement.attachment_id)

    def test_cron_once_per_month(self):
        Statement = self.env["support.statement"]
        Statement._cron_send_statements(month=self.start)
        mine = Statement.search(
            [("date", "=", self.start), ("partner_id", "=", self.cust_patch.id)]
        )
        self.assertEqual(len(mine), 1)
        self.assertIn(self.cust_b, Statement.search([("date", "=", self.start)]).partner_id)
        Statement._cron_send_statements(month=self.start)
        self.assertEqual(
            Statement.search_count(
                [("date", "=", self.start), ("partner_id", "=", self.cust_patch.id)]
            ),
            1,
        )

    def test_rights(self):
        with self.assertRaises(AccessError):
            self._issue(self.consultant)
        statement = self._issue(self.manager)
        with self.assertRaises(AccessError):
            statement.with_user(self.consultant).read(["name"])
        with self.assertRaises(AccessError):
            statement.with_user(self.consultant).action_reissue()
        self.assertEqual(statement.with_user(self.manager).read(["version"])[0]["version"], 1)

    def test_customer_language(self):
        """A Swedish customer gets the statement and its e-mail in Swedish."""
        self.env.ref("base.lang_sv_SE").active = True
        self.cust_patch.lang = "sv_SE"
        statement = self._issue()
        text = self._text(statement)
        self.assertIn("Månadens ärenden", text)
        self.assertIn("Förbetalda timpaket", text)
        self.assertNotIn("Requests of the month", text)
        message = statement.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertIn("er supportsammanställning", message.subject)
        self.assertIn("Här är er supportsammanställning", message.body)
