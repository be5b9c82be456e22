from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestBooks(TransactionCase):
    """Support invoices in Swedish books (the demo company) and in another chart of accounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.hour = cls.env.ref("support_timesheet.product_support_hour")

    def _bill_two_hours(self, company, country):
        """Two billable hours of a new customer of ``company``, invoiced and posted."""
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        users = [
            new_test_user(
                env,
                login=f"{role}_{company.id}",
                groups=groups,
                tz=self.env.user.tz,
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )
            for role, groups in (
                ("consultant", "support_contract.group_support_user"),
                ("accountant", "account.group_account_invoice,support_contract.group_support_user"),
            )
        ]
        env["hr.employee"].create(
            {"name": "Konsult", "user_id": users[0].id, "company_id": company.id}
        )
        customer = env["res.partner"].create(
            {"name": "Kund AB", "is_company": True, "country_id": country.id}
        )
        contact = env["res.partner"].create({"name": "Kim Kund", "parent_id": customer.id})
        ticket = env["support.ticket"].create(
            {
                "name": "Export to the bank",
                "partner_id": contact.id,
                "category_id": self.ref("support_contract.category_db_correction"),
                "company_id": company.id,
            }
        )
        env["account.analytic.line"].with_user(users[0]).create(
            {"support_ticket_id": ticket.id, "unit_amount": 2.0, "name": "Work"}
        )
        today = ticket.request_date
        move = (
            env["support.invoice.create"]
            .with_user(users[1])
            ._create_invoices_for(customer, today.replace(day=1), today, None)
        )
        move.action_post()
        return move

    def test_swedish_invoice(self):
        """Cloudworkz AB keeps Swedish books: 25 % VAT on services, BAS accounts, SEK."""
        company = self.env.ref("support_contract.company_cloudworkz")
        self.assertEqual(company.chart_template, "se", "the scripts' databases hold l10n_se")
        self.assertEqual(company.currency_id, self.env.ref("base.SEK"))
        chart = self.env["account.chart.template"].with_company(company)
        services_vat = chart.ref("sale_tax_25_services")
        for xmlid in ("product_support_hour", "product_pack_25", "product_maintenance_fee"):
            product = self.env.ref(f"support_timesheet.{xmlid}").with_company(company)
            self.assertEqual(
                product.taxes_id.filtered_domain([("company_id", "=", company.id)]), services_vat
            )
            self.assertEqual(product.property_account_income_id.code, "30012", xmlid)

        move = self._bill_two_hours(company, self.env.ref("base.se"))
        self.assertEqual(move.currency_id.name, "SEK")
        self.assertEqual(move.amount_untaxed, 2 * self.hour.lst_price)
        self.assertEqual(move.amount_tax, 0.25 * move.amount_untaxed)
        self.assertEqual(move.amount_total, 1.25 * move.amount_untaxed)
        self.assertEqual(move.invoice_line_ids.tax_ids, services_vat)
        by_code = {}
        for line in move.line_ids:
            by_code[line.account_id.code] = by_code.get(line.account_id.code, 0.0) + line.balance
        self.assertEqual(
            by_code,
            {
                "1510": move.amount_total,  # Kundfordringar
                "30012": -move.amount_untaxed,  # Försäljning tjänster 25 % moms
                "2611": -move.amount_tax,  # Utgående moms 25 %
            },
        )

    def test_other_chart(self):
        """A company with the generic chart bills with its own default tax and accounts."""
        company = self.env["res.company"].create(
            {"name": "Other Books Inc", "country_id": self.ref("base.us")}
        )
        self.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        self.assertEqual(company.chart_template, "generic_coa")
        tax = company.account_sale_tax_id
        self.assertTrue(tax)
        product = self.hour.with_company(company)
        self.assertEqual(product.taxes_id.filtered_domain([("company_id", "=", company.id)]), tax)

        move = self._bill_two_hours(company, self.env.ref("base.us"))
        self.assertEqual(move.company_id, company)
        self.assertEqual(move.invoice_line_ids.tax_ids, tax)
        self.assertEqual(move.invoice_line_ids.account_id.company_ids, company)
        self.assertEqual(move.amount_untaxed, 2 * self.hour.lst_price)
        self.assertAlmostEqual(move.amount_tax, move.amount_untaxed * tax.amount / 100)
        self.assertFalse(move.line_ids.account_id.filtered(lambda a: a.code in ("30012", "2611")))
