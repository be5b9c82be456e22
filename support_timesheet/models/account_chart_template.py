from odoo import Command, models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _support_product_defaults(self, template_code):
        """Sales tax and income account (chart xml ids) of the suite's products, by chart.

        Hours, packs and fees are services. A chart not listed here (nor a parent of it) leaves
        Odoo's defaults: the company's sales tax and its income account. Extend to add a chart.
        """
        defaults = {"se": {"tax": "sale_tax_25_services", "account": "a30012"}}
        for code in self._get_parent_template(template_code) if template_code else []:
            if code in defaults:
                return defaults[code]
        return {}

    def _support_apply_product_defaults(self, companies):
        """Give the products the suite seeds their chart's tax and account in each company."""
        products = (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "support_timesheet"), ("model", "=", "product.product")])
        )
        products = self.env["product.product"].sudo().browse(products.mapped("res_id")).exists()
        for company in companies:
            defaults = self._support_product_defaults(company.chart_template)
            if not products or not defaults:
                continue
            chart = self.with_company(company)
            tax = chart.ref(defaults["tax"], raise_if_not_found=False)
            account = chart.ref(defaults["account"], raise_if_not_found=False)
            if tax:
                others = (
                    self.env["account.tax"]
                    .sudo()
                    .search([("company_id", "=", company.id), ("type_tax_use", "=", "sale")])
                )
                products.write(
                    {"taxes_id": [Command.unlink(t) for t in others.ids] + [Command.link(tax.id)]}
                )
            if account:
                products.with_company(company).property_account_income_id = account

    def _post_load_data(self, template_code, company, template_data):
        res = super()._post_load_data(template_code, company, template_data)
        self._support_apply_product_defaults(company)
        return res
