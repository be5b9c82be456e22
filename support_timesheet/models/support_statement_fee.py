"""The fees on the monthly statement, per fee line: what each line (its product, environment or
description) billed for the month, and the months the fee run will invoice and has not yet.
Both come from the fee run's own rule (``support.agreement._support_fee_line_months_due`` and
``_support_fee_months_done``), never a second copy of it."""

import datetime
from collections import defaultdict

from odoo import models

# Fee period states that leave the customer owing the invoiced amount (less posted credits).
BILLED_STATES = ("invoiced", "waived")


class SupportStatement(models.Model):
    _inherit = "support.statement"

    def _statement_values(self):
        values = super()._statement_values()
        values.update(self._statement_fee_values(values))
        return values

    @staticmethod
    def _statement_fee_label(agreement, fee_line):
        """What a fee line is for, as the invoice line names it (its environment and
        description), else the agreement's type."""
        return (fee_line and fee_line._support_label()) or agreement.type_id.name

    def _statement_fee_row(self, agreement, fee_line, period, due, credited):
        """One fee line's month on the statement: ``period`` (its fee period of the month, or
        an empty recordset), ``due`` (the fee run's month dict with ``amount``, or None),
        ``credited`` ({fee period: amount of its posted credit note lines})."""
        if period:
            state = period.state
            amount = period.amount
            billed_from, billed_to = period.billed_from, period.billed_to
        elif due:
            state = "to_invoice"
            amount = due["amount"]
            billed_from, billed_to = due["billed_from"], due["billed_to"]
        else:
            state, amount, billed_from, billed_to = False, 0.0, False, False
        credit = credited.get(period, 0.0) if period else 0.0
        if state in BILLED_STATES:
            net = amount - credit
        elif state == "to_invoice":
            net = amount
        else:
            net = 0.0
        return {
            "fee_line": fee_line,
            "label": self._statement_fee_label(agreement, fee_line),
            "product": fee_line.product_id or agreement.type_id.fee_product_id,
            "environment": fee_line.environment_id,
            "quantity": fee_line.quantity if fee_line else 1.0,
            "price_unit": fee_line.price_unit if fee_line else period.amount,
            "monthly": fee_line.subtotal if fee_line else period.amount,
            "state": state,
            "period": period,
            "billed_from": billed_from,
            "billed_to": billed_to,
            "amount": amount,
            "credited": credit,
            "net": net,
            "invoices": ", ".join(
                period.invoice_id.filtered(lambda m: m.state == "posted").mapped("name")
            )
            if period
            else "",
        }

    def _statement_fee_values(self, values):
        """Fees per fee line.

        ``agreements[i]["fees"]``: one row per fee line of the agreement in force in the month
        (and per line with a fee period that month), with ``fee_line``, ``label``, ``product``,
        ``environment``, ``quantity``, ``price_unit``, ``monthly`` (its monthly amount),
        ``state`` (its fee period's state, ``to_invoice`` when the fee run will invoice the
        month, else False), ``period``, ``billed_from``/``billed_to``, ``amount`` (invoiced, or
        due), ``credited`` (posted credit notes), ``net`` and ``invoices`` (posted invoices);
        ``agreements[i]["fee_amount"]``: the month's fee of the agreement (the rows' ``net``).
        ``fees_to_invoice``: each month of each fee line up to the end of the statement's month
        that the fee run invoices and has not invoiced yet (``agreement``, ``fee_line``,
        ``label``, ``product``, ``environment``, ``date_start``, ``billed_from``,
        ``billed_to``, ``amount``).
        """
        self.ensure_one()
        env = self.sudo().env
        customer, company = values["customer"], values["company"]
        start, end = values["date_start"], values["date_end"]
        Agreement = env["support.agreement"]
        # Every agreement of the customer here: a month not invoiced yet may be an earlier one.
        agreements = Agreement.search(
            [("partner_id", "=", customer.id), ("company_id", "=", company.id)]
        )
        periods = env["support.agreement.fee.period"].search(
            [("agreement_id", "in", agreements.ids), ("date_start", "<=", start)]
        )
        done = Agreement._support_fee_months_done(periods)
        due = agreements._support_fee_line_months_due(datetime.date.min, end)
        month_periods = periods.filtered(lambda p: p.date_start == start)
        credited = defaultdict(float)
        for line in env["account.move.line"].search(
            [
                ("support_fee_credit_period_id", "in", month_periods.ids),
                ("parent_state", "=", "posted"),
            ]
        ):
            credited[line.support_fee_credit_period_id] += line.price_subtotal
        FeeLine = env["support.agreement.fee.line"]
        in_force = FeeLine._get_in_force_domain(start, end)
        by_agreement = month_periods.grouped("agreement_id")
        # Fee rows for the agreements whose fees are invoiced (the fee run's definition).
        billing = Agreement.browse([row["agreement"].id for row in values["agreements"]])
        billing = billing.filtered_domain(Agreement._get_fee_billing_domain())
        rows_by_agreement = {}
        for row in values["agreements"]:
            agreement = row["agreement"].sudo()
            mine = by_agreement.get(agreement, month_periods.browse())
            if agreement not in billing and not mine:
                rows_by_agreement[agreement] = []
                continue
            fee_lines = (
                agreement.fee_line_ids.filtered_domain(in_force) | mine.fee_line_id
            ).sorted(lambda line: (line.sequence, line.id))
            rows = []
            # A month invoiced before fee lines: the whole agreement's.
            for period in mine.filtered(lambda p: not p.fee_line_id):
                rows.append(self._statement_fee_row(agreement, FeeLine, period, None, credited))
            for fee_line in fee_lines:
                period = mine.filtered(lambda p, line=fee_line: p.fee_line_id == line)[:1]
                month_due = next(
                    (p for p in due.get(fee_line, []) if p["date_start"] == start), None
                )
                rows.append(
                    self._statement_fee_row(agreement, fee_line, period, month_due, credited)
                )
            rows_by_agreement[agreement] = rows
        for row in values["agreements"]:
            fees = rows_by_agreement[row["agreement"].sudo()]
            row["fees"] = fees
            row["fee_amount"] = sum(fee["net"] for fee in fees)
        to_invoice = []
        for fee_line, months in due.items():
            agreement = fee_line.agreement_id
            for month in months:
                if done(agreement, fee_line, month["date_start"]):
                    continue
                to_invoice.append(
                    {
                        "agreement": agreement,
                        "fee_line": fee_line,
                        "label": self._statement_fee_label(agreement, fee_line),
                        "product": fee_line.product_id or agreement.type_id.fee_product_id,
                        "environment": fee_line.environment_id,
                        "date_start": month["date_start"],
                        "billed_from": month["billed_from"],
                        "billed_to": month["billed_to"],
                        "amount": month["amount"],
                    }
                )
        to_invoice.sort(
            key=lambda r: (
                r["date_start"],
                r["agreement"].id,
                r["fee_line"].sequence,
                r["fee_line"].id,
            )
        )
        return {"fees_to_invoice": to_invoice}
