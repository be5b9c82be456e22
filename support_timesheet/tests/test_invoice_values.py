from datetime import date

from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestInvoiceValues(SupportTimesheetCase):
    """Support invoices filled as Odoo's sales flow fills one, on the Swedish chart and on the
    generic one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payment_term = cls.env.ref("account.account_payment_term_30days")
        cls.salesperson = cls._user("st_salesperson", "account.group_account_invoice")
        cls.cust_a.write(
            {
                "support_invoice_ref": "PO 4711 / KST 300",
                "property_payment_term_id": cls.payment_term.id,
                "user_id": cls.salesperson.id,
            }
        )
        cls.billing = cls.env["res.partner"].create(
            {"name": "Kund A Ekonomi", "type": "invoice", "parent_id": cls.cust_a.id}
        )

    def _chart_ref(self, xmlid, company=None):
        return self.env["account.chart.template"].with_company(company or self.company).ref(xmlid)

    def test_time_invoice_values(self):
        self.assertEqual(self.company.chart_template, "generic_coa")
        ticket = self._ticket(self.contact_a, name="Order import fails")
        other = self._ticket(self.contact_a, name="Stock quants")
        self._log(ticket, 1.0)
        self._log(other, 2.0)
        move = self._invoice()
        self.assertEqual(move.partner_id, self.billing, "the customer's invoice address")
        self.assertEqual(move.commercial_partner_id, self.cust_a)
        self.assertEqual(move.ref, "PO 4711 / KST 300")
        self.assertEqual(move.invoice_payment_term_id, self.payment_term)
        self.assertEqual(move.invoice_user_id, self.salesperson)
        self.assertEqual(move.journal_id.type, "sale")
        self.assertEqual(move.journal_id.company_id, self.company)
        self.assertFalse(move.fiscal_position_id)
        project = ticket._support_get_project()
        self.assertTrue(project.account_id)
        for line in move.invoice_line_ids:
            self.assertEqual(line.analytic_distribution, {str(project.account_id.id): 100.0})
        self.assertEqual(move.amount_untaxed, 3000.0)
        tax = self.hour.taxes_id.filtered(lambda t: t.company_id == self.company)
        self.assertEqual(move.invoice_line_ids.tax_ids, tax)
        self.assertEqual(move.amount_tax, 3000.0 * tax.amount / 100)
        move.invoice_date = self.month_start
        move.action_post()
        # The revenue reaches the project's analytic account, beside the time's cost.
        revenue = self.env["account.analytic.line"].search(
            [("move_line_id", "in", move.invoice_line_ids.ids)]
        )
        self.assertEqual(sum(revenue.mapped("amount")), 3000.0)
        self.assertEqual(revenue.account_id, project.account_id)

    def test_swedish_books_reverse_charge_and_export(self):
        """On the demo's Swedish books: a Swedish customer pays 25 % VAT, an EU business with a
        VAT number gets reverse charge (no Swedish VAT), a customer outside the EU export."""
        se_company = self.env.ref("support_contract.company_cloudworkz")
        self.assertEqual(se_company.chart_template, "se")
        se_company.vat = se_company.vat or "SE556677889901"
        env = self.env(context=dict(self.env.context, allowed_company_ids=se_company.ids))
        employee = self.env.ref("support_timesheet.employee_consultant")
        customers = {
            "se": ("Kund Sverige AB", "base.se", "SE556000016701"),
            "de": ("Kunde GmbH", "base.de", "DE123456788"),
            "us": ("Customer Inc", "base.us", False),
        }
        moves, partners = {}, {}
        for key, (name, country, vat) in customers.items():
            customer = self._customer(
                name,
                country_id=self.env.ref(country).id,
                vat=vat,
                support_invoice_ref=f"REF-{key}",
            )
            partners[key] = customer
            contact = self._contact(customer, f"Contact {key}")
            ticket = self._ticket(contact, company_id=se_company.id)
            env["account.analytic.line"].create(
                {
                    "support_ticket_id": ticket.id,
                    "employee_id": employee.id,
                    "unit_amount": 2.0,
                    "date": self.month_start,
                    "name": "Work",
                }
            )
            moves[key] = env["support.ticket"]._support_create_invoices(
                customer, self.month_start, self.month_start.replace(day=28)
            )
        for key, move in moves.items():
            self.assertEqual(move.company_id, se_company)
            self.assertEqual(move.ref, f"REF-{key}")
            self.assertEqual(move.journal_id.type, "sale")
            self.assertEqual(move.journal_id.company_id, se_company)
        untaxed = moves["se"].amount_untaxed
        self.assertGreater(untaxed, 0.0)
        self.assertEqual(moves["se"].fiscal_position_id, self._chart_ref("fp_sweden", se_company))
        self.assertEqual(moves["se"].amount_tax, untaxed * 0.25, "Swedish VAT 25 %")
        self.assertEqual(moves["de"].fiscal_position_id, self._chart_ref("fp_euro_b2b", se_company))
        self.assertEqual(moves["de"].amount_untaxed, untaxed)
        self.assertEqual(moves["de"].amount_tax, 0.0, "reverse charge: no Swedish VAT")
        self.assertEqual(moves["de"].invoice_line_ids.account_id.code, "3308")
        self.assertEqual(
            moves["us"].fiscal_position_id, self._chart_ref("fp_outside_euro", se_company)
        )
        self.assertEqual(moves["us"].amount_tax, 0.0)
        self.assertEqual(moves["us"].invoice_line_ids.account_id.code, "3305")
        for move in moves.values():
            # The taxes given in the create values (once per fiscal position) are Odoo's own.
            line = move.invoice_line_ids
            self.assertEqual(line.tax_ids, line._get_computed_taxes())
        self.assertTrue(moves["se"].invoice_line_ids.tax_ids)
        project = se_company.support_project_id
        self.assertEqual(
            moves["de"].invoice_line_ids.analytic_distribution,
            {str(project.account_id.id): 100.0},
        )

        # Monthly fees, and their credit note when the agreement closes early: the same
        # positions, the same accounts, no Swedish VAT outside Sweden.
        for key, fp_xmlid, code, tax_rate in (
            ("se", "fp_sweden", "30012", 0.25),
            ("de", "fp_euro_b2b", "3308", 0.0),
            ("us", "fp_outside_euro", "3305", 0.0),
        ):
            agreement = self._agreement(
                partners[key],
                self.type_patch,
                date_start=date(2026, 1, 1),
                monthly_fee=1000.0,
                company_id=se_company.id,
            )
            fee = agreement.with_company(se_company)._invoice_monthly_fees(until=date(2026, 1, 31))
            fee.invoice_date = date(2026, 1, 31)
            fee.action_post()
            agreement.write({"date_end": date(2026, 1, 15)})
            credit = env["account.move"].search(
                [
                    ("move_type", "=", "out_refund"),
                    ("commercial_partner_id", "=", partners[key].id),
                ]
            )
            for move, untaxed in ((fee, 1000.0), (credit, 516.13)):  # 16/31 of 1,000
                self.assertEqual(move.company_id, se_company)
                self.assertEqual(move.journal_id.type, "sale")
                self.assertEqual(move.ref, f"REF-{key}")
                self.assertEqual(move.fiscal_position_id, self._chart_ref(fp_xmlid, se_company))
                self.assertEqual(move.invoice_line_ids.account_id.code, code, key)
                self.assertEqual(move.amount_untaxed, untaxed)
                self.assertAlmostEqual(move.amount_tax, untaxed * tax_rate, delta=0.005, msg=key)

    def test_fee_invoice_and_credit_note_values(self):
        account = self.company._support_get_default_project().account_id  # its first ticket's
        agreement = self._agreement(
            self.cust_a, self.type_patch, date_start=date(2026, 1, 1), monthly_fee=600.0
        )
        move = agreement._invoice_monthly_fees(until=date(2026, 1, 31))
        self.assertEqual(move.partner_id, self.billing)
        self.assertEqual(move.ref, "PO 4711 / KST 300")
        self.assertEqual(move.invoice_payment_term_id, self.payment_term)
        self.assertEqual(move.invoice_user_id, self.salesperson)
        self.assertEqual(move.journal_id.type, "sale")
        self.assertEqual(move.invoice_line_ids.analytic_distribution, {str(account.id): 100.0})
        move.invoice_date = date(2026, 1, 31)
        move.action_post()
        # Cancelled mid-January: the days no longer due are credited, filled the same way.
        agreement.write({"date_end": date(2026, 1, 15)})
        credit = self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("commercial_partner_id", "=", self.cust_a.id)]
        )
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.partner_id, self.billing)
        self.assertEqual(credit.ref, "PO 4711 / KST 300")
        self.assertEqual(credit.invoice_payment_term_id, self.payment_term)
        self.assertEqual(credit.invoice_user_id, self.salesperson)
        self.assertEqual(credit.journal_id, move.journal_id)
        self.assertEqual(credit.invoice_line_ids.analytic_distribution, {str(account.id): 100.0})
        self.assertEqual(credit.amount_untaxed, 309.68)  # 16/31 of 600

    def test_generic_chart(self):
        company = self.env["res.company"].create(
            {"name": "Generic Support Ltd", "country_id": self.env.ref("base.us").id}
        )
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        self.assertEqual(company.chart_template, "generic_coa")
        customer = self._customer(
            "Generic Customer", support_invoice_ref="CC-42", company_id=company.id
        )
        billing = self.env["res.partner"].create(
            {"name": "Accounts payable", "type": "invoice", "parent_id": customer.id}
        )
        project = company._support_get_default_project()  # made by its first ticket
        agreement = self._agreement(
            customer,
            self.type_patch,
            date_start=date(2026, 1, 1),
            monthly_fee=100.0,
            company_id=company.id,
        )
        move = agreement.with_company(company)._invoice_monthly_fees(until=date(2026, 1, 31))
        self.assertEqual(move.company_id, company)
        self.assertEqual(move.partner_id, billing)
        self.assertEqual(move.ref, "CC-42")
        self.assertEqual(move.journal_id.type, "sale")
        self.assertEqual(move.journal_id.company_id, company)
        account = project.account_id
        self.assertEqual(move.invoice_line_ids.analytic_distribution, {str(account.id): 100.0})
        self.assertEqual(move.amount_untaxed, 100.0)
        move.invoice_date = date(2026, 1, 31)
        move.action_post()
        self.assertEqual(move.state, "posted")

        # The generic chart's positions: a domestic customer pays its 15 %, a foreign business
        # (an EU one with a VAT number) gets the export position and no tax, on time invoices,
        # fee invoices and fee credit notes alike.
        chart = self.env["account.chart.template"].with_company(company)
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        employee = env["hr.employee"].create(
            {"name": "Generic Consultant", "company_id": company.id}
        )
        for name, country, vat, position, rate in (
            ("Domestic Inc", "base.us", False, "domestic", 0.15),
            ("Ausland GmbH", "base.de", "DE123456788", "export", 0),
        ):
            partner = self._customer(
                name, country_id=self.env.ref(country).id, vat=vat, company_id=company.id
            )
            ticket = self._ticket(self._contact(partner, f"{name} contact"), company_id=company.id)
            env["account.analytic.line"].create(
                {
                    "support_ticket_id": ticket.id,
                    "employee_id": employee.id,
                    "unit_amount": 2.0,
                    "date": self.month_start,
                    "name": "Work",
                }
            )
            time = env["support.ticket"]._support_create_invoices(
                partner, self.month_start, self.month_start.replace(day=28)
            )
            agreement = self._agreement(
                partner,
                self.type_patch,
                date_start=date(2026, 1, 1),
                monthly_fee=100.0,
                company_id=company.id,
            )
            fee = agreement.with_company(company)._invoice_monthly_fees(until=date(2026, 1, 31))
            fee.invoice_date = date(2026, 1, 31)
            fee.action_post()
            agreement.write({"date_end": date(2026, 1, 15)})
            credit = self.env["account.move"].search(
                [("move_type", "=", "out_refund"), ("commercial_partner_id", "=", partner.id)]
            )
            self.assertEqual(credit.amount_untaxed, 51.61)  # 16/31 of 100
            for move in time | fee | credit:
                self.assertEqual(move.company_id, company)
                self.assertEqual(
                    move.fiscal_position_id,
                    chart.ref(f"template_generic_{position}_fiscal_position"),
                    name,
                )
                self.assertEqual(move.invoice_line_ids.tax_ids.amount, rate * 100, name)
                self.assertAlmostEqual(move.amount_tax, move.amount_untaxed * rate, delta=0.005)
            self.assertEqual(time.amount_untaxed, 2 * self.hour.lst_price)
