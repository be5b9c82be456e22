from odoo import Command, api, models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    @api.model
    def _support_use_books(self, company, tax_ref, account_ref):
        """Bill the suite's products in `company` with the sales tax `tax_ref` and the income
        account `account_ref` of the company's chart (chart xml ids, given by data: the demo
        gives the Swedish company its VAT and account for services). The code names no chart:
        without these, the products keep Odoo's defaults (the company's sales tax and income
        account), and a chart without them changes nothing."""
        chart = self.with_company(company)
        tax = chart.ref(tax_ref, raise_if_not_found=False)
        account = chart.ref(account_ref, raise_if_not_found=False)
        data = (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "support_timesheet"), ("model", "=", "product.product")])
        )
        products = self.env["product.product"].sudo().browse(data.mapped("res_id")).exists()
        if not products:
            return True
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
        return True

    @api.model
    def _support_use_deferred_account(self, company, account_ref):
        """Book `company`'s prepaid pack sales as deferred income on the account `account_ref`
        of its chart (a chart xml id given by data: the demo's Swedish books use 2970
        Förutbetalda intäkter). A chart without it leaves the setting empty."""
        account = self.with_company(company).ref(account_ref, raise_if_not_found=False)
        if account:
            company.sudo().support_deferred_revenue_account_id = account
        return True
