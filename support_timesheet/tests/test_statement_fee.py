import io
import re
from datetime import date

from odoo.tests import tagged
from odoo.tools.pdf import PdfReader

from .common import SupportTimesheetCase

APRIL = date(2026, 4, 1)
APRIL_END = date(2026, 4, 30)  # 30 days
MAY = date(2026, 5, 1)
MAY_END = date(2026, 5, 31)


@tagged("post_install", "-at_install")
class TestStatementFeeLines(SupportTimesheetCase):
    """The statement's fees per fee line: what each line billed in the month, on the real
    invoice, and the months the fee run will still invoice, from the fee run's own rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._user("st_sf_manager", "support_contract.group_support_manager")
        cls.customer = cls._customer("Avgiftsrader AB", lang="en_US")
        Environment = cls.env["support.environment"]
        cls.prod = Environment.create({"partner_id": cls.customer.id, "name": "prod.rader.se"})
        cls.staging = Environment.create(
            {
                "partner_id": cls.customer.id,
                "name": "staging.rader.se",
                "environment_type": "staging",
            }
        )
        cls.product = cls.env.ref("support_timesheet.product_patch_fee")
        cls.agreement = cls.env["support.agreement"].create(
            {
                "partner_id": cls.customer.id,
                "type_id": cls.type_patch.id,
                "date_start": APRIL,
                "user_id": cls.manager.id,
                "fee_line_ids": [
                    (0, 0, {"environment_id": cls.prod.id, "price_unit": 290.0}),
                    # Added mid-month: 15 of April's 30 days, 155.00.
                    (
                        0,
                        0,
                        {
                            "environment_id": cls.staging.id,
                            "name": "Nightly copy",
                            "price_unit": 310.0,
                            "date_start": date(2026, 4, 16),
                        },
                    ),
                ],
            }
        )
        cls.agreement.action_activate()
        cls.prod_line, cls.staging_line = cls.agreement.fee_line_ids
        # A fee on a type that invoices no monthly fees: on no statement as a fee to invoice.
        cls.on_demand = cls.env["support.agreement"].create(
            {
                "partner_id": cls.customer.id,
                "type_id": cls.type_on_demand.id,
                "date_start": APRIL,
                "monthly_fee": 77.0,
            }
        )
        cls.on_demand.action_activate()

    def _statement(self, month, pdf=False):
        Statement = self.env["support.statement"]
        if pdf:
            Statement = Statement.with_context(force_report_rendering=True)
        return Statement._issue(self.customer, month, self.company)

    def _html(self, statement):
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("support_timesheet.support_statement_report", statement.ids)[0]
            .decode()
        )
        return self._plain(html)

    def _plain(self, html):
        text = re.sub(r"</?span[^>]*>", "", html)  # inline: no space as the reader sees it
        text = re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ").replace("\xa0", " ")
        return " ".join(text.split())

    def _pdf_text(self, statement):
        raw = statement.attachment_id.raw
        self.assertEqual(statement.attachment_id.mimetype, "application/pdf")
        reader = PdfReader(io.BytesIO(raw))
        text = " ".join(page.extract_text() for page in reader.pages)
        text = " ".join(text.replace("\xa0", " ").split())
        # The PDF's text runs put a space around inline parts: "AGR/1 , prod (Production) :".
        return re.sub(r" ([,:)])", r"\1", text).replace("( ", "(")

    def _rows(self, values):
        (row,) = [r for r in values["agreements"] if r["agreement"] == self.agreement]
        return {fee["fee_line"]: fee for fee in row["fees"]}, row

    def _to_invoice(self, values):
        return [
            (fee["fee_line"], fee["date_start"], fee["amount"]) for fee in values["fees_to_invoice"]
        ]

    def test_fee_lines_before_and_after_invoicing(self):
        # Before the fee run: each line's month, prorated as the fee run will bill it.
        statement = self._statement(APRIL, pdf=True)
        values = statement._statement_values()
        rows, row = self._rows(values)
        self.assertEqual(set(rows), {self.prod_line, self.staging_line})
        prod, staging = rows[self.prod_line], rows[self.staging_line]
        self.assertEqual((prod["state"], prod["amount"], prod["monthly"]), ("to_invoice", 290, 290))
        self.assertEqual((staging["state"], staging["amount"]), ("to_invoice", 155.0))
        self.assertEqual(
            (staging["billed_from"], staging["billed_to"]), (date(2026, 4, 16), APRIL_END)
        )
        self.assertEqual((staging["environment"], staging["product"]), (self.staging, self.product))
        self.assertEqual(staging["label"], "staging.rader.se (Staging), Nightly copy")
        self.assertEqual(row["fee_amount"], 445.0)
        self.assertEqual(
            self._to_invoice(values),
            [(self.prod_line, APRIL, 290.0), (self.staging_line, APRIL, 155.0)],
        )
        self.assertNotIn(self.on_demand, [fee["agreement"] for fee in values["fees_to_invoice"]])
        for text in (self._html(statement), self._pdf_text(statement)):
            self.assertIn("prod.rader.se (Production)", text)
            self.assertIn("staging.rader.se (Staging), Nightly copy", text)
            self.assertIn("155.00 not invoiced yet", text)
            self.assertIn("290.00 not invoiced yet", text)
            self.assertIn(
                f"Monthly fee of {self.agreement.name}, staging.rader.se (Staging), Nightly copy",
                text,
            )
            self.assertNotIn("77.00", text, "the On-Demand fee is not billed")

        # A statement of May before any fee run: April's months are still to be invoiced too.
        may = self._statement(MAY)._statement_values()
        self.assertEqual(
            self._to_invoice(may),
            [
                (self.prod_line, APRIL, 290.0),
                (self.staging_line, APRIL, 155.0),
                (self.prod_line, MAY, 290.0),
                (self.staging_line, MAY, 310.0),
            ],
        )

        # The fee run, twice: the statement tells what is on the real invoice, line by line.
        Agreement = self.env["support.agreement"]
        invoice = Agreement._cron_invoice_monthly_fees(until=APRIL_END).filtered(
            lambda m: m.partner_id == self.customer
        )
        self.assertFalse(
            Agreement._cron_invoice_monthly_fees(until=APRIL_END).filtered(
                lambda m: m.partner_id == self.customer
            )
        )
        invoice.action_post()
        lines = {line.support_fee_period_ids.fee_line_id: line for line in invoice.invoice_line_ids}
        statement = self._statement(APRIL, pdf=True)
        values = statement._statement_values()
        rows, row = self._rows(values)
        for fee_line in (self.prod_line, self.staging_line):
            self.assertEqual(rows[fee_line]["state"], "invoiced")
            self.assertEqual(rows[fee_line]["amount"], lines[fee_line].price_subtotal)
            self.assertEqual(rows[fee_line]["invoices"], invoice.name)
        self.assertEqual(lines[self.staging_line].price_subtotal, 155.0)
        self.assertEqual(row["fee_amount"], invoice.amount_untaxed)
        self.assertEqual(values["fees_to_invoice"], [])
        for text in (self._html(statement), self._pdf_text(statement)):
            self.assertIn(f"155.00 ({invoice.name})", text)
            self.assertIn(f"290.00 ({invoice.name})", text)
            self.assertNotIn("not invoiced yet", text)
            self.assertNotIn("Monthly fee of", text)
        self.assertEqual(
            self._to_invoice(self._statement(MAY)._statement_values()),
            [(self.prod_line, MAY, 290.0), (self.staging_line, MAY, 310.0)],
        )

        # Staging retired on 20 April: 10 of its 15 days credited; the statement nets it.
        self.staging_line.with_user(self.manager).date_end = date(2026, 4, 20)
        credit = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_refund")]
        )
        self.assertEqual(credit.amount_untaxed, 103.33)
        credit.action_post()
        statement = self._statement(APRIL)
        rows, row = self._rows(statement._statement_values())
        self.assertEqual(rows[self.staging_line]["credited"], 103.33)
        self.assertEqual(rows[self.staging_line]["net"], 51.67)
        self.assertEqual(row["fee_amount"], 290.0 + 51.67)
        self.assertIn("credited $ 103.33", self._html(statement))
        may = self._statement(MAY)._statement_values()
        self.assertEqual(self._to_invoice(may), [(self.prod_line, MAY, 290.0)])
        rows, _row = self._rows(may)
        self.assertEqual(list(rows), [self.prod_line], "staging no longer runs in May")

    def test_waived_line(self):
        """A line waived before the fee run: waived on the statement, nothing to invoice."""
        self.agreement.with_user(self.manager).action_waive_fee_month(
            APRIL, "Staging not ready", fee_line_id=self.staging_line.id
        )
        statement = self._statement(APRIL)
        values = statement._statement_values()
        rows, row = self._rows(values)
        self.assertEqual(rows[self.staging_line]["state"], "waived")
        self.assertEqual(rows[self.staging_line]["net"], 0.0)
        self.assertEqual(row["fee_amount"], 290.0)
        self.assertEqual(self._to_invoice(values), [(self.prod_line, APRIL, 290.0)])
        self.assertIn("Waived", self._html(statement))
        invoice = self.agreement._invoice_monthly_fees(until=APRIL_END)
        self.assertEqual(invoice.amount_untaxed, 290.0)
