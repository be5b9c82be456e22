"""What the fixed fees delivered on an environment: the covered work of a period and what it is
worth at the customer's hourly rate (the invoices' price rule). The statement and the portal
read it here."""

from collections import defaultdict

from odoo import models


class SupportEnvironment(models.Model):
    _inherit = "support.environment"

    def _support_covered_work(self, date_from, date_to):
        """{environment: {"hours": {ticket: covered hours}, "value", "currency"}} for the
        environments of ``self``: the time logged from ``date_from`` to ``date_to`` on their
        covered requests (timesheet lines the engine settled as covered), valued at the price
        of an hour of each request's product for the customer (``_support_hour_prices``). One
        grouped read; the caller checks who may read it."""
        result = {
            environment: {"hours": {}, "value": 0.0, "currency": environment.company_id.currency_id}
            for environment in self
        }
        if not self:
            return result
        Line = self.env["account.analytic.line"].sudo()
        groups = Line._read_group(
            [
                ("support_billing_status", "=", "covered"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                ("support_ticket_id.environment_id", "in", self.ids),
                ("support_ticket_id.coverage", "=", "covered"),
            ],
            ["support_ticket_id"],
            ["unit_amount:sum"],
        )
        by_customer = defaultdict(list)
        for ticket, hours in groups:
            environment = ticket.environment_id
            if ticket.company_id == environment.company_id:
                by_customer[(environment.partner_id, environment.company_id)].append(
                    (environment, ticket, hours)
                )
        for (customer, company), rows in by_customer.items():
            product_of = {ticket: ticket._support_invoice_product() for _env, ticket, _h in rows}
            products = self.env["product.product"].union(*product_of.values())
            prices = customer._support_hour_prices(products, company)
            for environment, ticket, hours in rows:
                price, currency = prices[(customer.id, product_of[ticket].id)]
                work = result[environment]
                work["hours"][ticket] = hours
                work["value"] += hours * price
                work["currency"] = currency
        for work in result.values():
            work["value"] = work["currency"].round(work["value"])
        return result
