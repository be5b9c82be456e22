# Invoicing a ticket's billable time: the periods, batches, invoice values and timesheet links.
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from .support_billing_mixin import lock_rows
from .support_ticket import INVOICE_BATCH_LINES

_logger = logging.getLogger(__name__)


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    @api.model
    def _support_check_invoice_period(self, date_from, date_to):
        if date_from and date_to and date_to < date_from:
            raise UserError(
                self.env._(
                    "The invoicing period ends (%(end)s) before it starts (%(start)s).",
                    start=date_from,
                    end=date_to,
                )
            )

    @api.model
    def _get_support_billable_domain(self, partners, date_from, date_to, type_ids=None):
        """The timesheet lines billable and not invoiced yet in the period."""
        domain = [
            ("support_ticket_id", "!=", False),
            ("support_billing_status", "=", "to_invoice"),
            ("support_invoice_line_id", "=", False),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
            ("company_id", "in", self.env.companies.ids),
        ]
        if partners:
            domain.append(("support_partner_id", "in", partners.commercial_partner_id.ids))
        if type_ids:
            domain.append(("support_agreement_type_id", "in", list(type_ids)))
        return domain

    @api.model
    def _support_billable_partners(self, partners, date_from, date_to, type_ids=None):
        """The customers with billable time not invoiced yet in the period."""
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                self._get_support_billable_domain(partners, date_from, date_to, type_ids),
                ["support_partner_id"],
            )
        )
        extra = self._support_extra_only_tickets(partners, date_from, date_to, type_ids)
        ids = {partner.id for (partner,) in groups} | set(extra.commercial_partner_id.ids)
        return self.env["res.partner"].browse(sorted(ids))

    @api.model
    def _support_extra_only_tickets(self, partners, date_from, date_to, type_ids=None, skip=()):
        """Tickets with per-request minimum hours still to invoice and no line to invoice in the
        period, e.g. when a pack paid the logged time but ran out under the minimum: the
        minimum is billed in full, on the invoice of the period of the ticket's last line."""
        line_domain = [
            ("date", ">=", date_from),
            ("date", "<=", date_to),
            ("company_id", "in", self.env.companies.ids),
        ]
        if type_ids:
            line_domain.append(("support_agreement_type_id", "in", list(type_ids)))
        domain = [
            ("hours_extra_to_invoice", ">", 0),
            ("id", "not in", list(skip)),
            ("timesheet_ids", "any", line_domain),
        ]
        if partners:
            domain.append(("commercial_partner_id", "in", partners.commercial_partner_id.ids))
        tickets = self.sudo().search(domain)
        # the period of the ticket's last line
        last = dict(
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [("support_ticket_id", "in", tickets.ids)], ["support_ticket_id"], ["date:max"]
            )
        )
        return tickets.filtered(lambda t: date_from <= last[t] <= date_to)

    @api.model
    def _support_quantity_digits(self):
        """Decimals of an invoice line's quantity (Odoo's *Product Unit* precision)."""
        return self.env["account.move.line"]._fields["quantity"].get_digits(self.env)[1]

    def _support_invoice_quantity(self, hours):
        """Hours on the ticket's next invoice line: `hours` of its lines to invoice, plus its
        per-request minimum or rounding not billed yet, at the invoice's precision. A ticket
        whose quantity is not positive gets no line (its time waits for the next one)."""
        self.ensure_one()
        return float_round(
            max(hours + self.hours_extra_to_invoice, 0.0),
            precision_digits=self._support_quantity_digits(),
        )

    @api.model
    def _support_create_invoices(self, partners, date_from, date_to, type_ids=None):
        """Draft customer invoices for the billable support time of a period.

        One invoice per customer (and company), one line per ticket with its billed hours (the
        period's hourly hours plus any per-request minimum not billed yet), every timesheet
        linked to the line that billed it. The timesheets and tickets are locked first (NOWAIT):
        a concurrent run fails on the lock, or on the serialization check once the first run
        committed, and bills nothing twice. The values come from
        ``res.partner._prepare_support_invoice_values`` and
        ``_prepare_support_invoice_line_values``.
        """
        self.env["account.move"]._support_check_invoicing_rights()
        self._support_check_invoice_period(date_from, date_to)
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                self._get_support_billable_domain(partners, date_from, date_to, type_ids),
                ["company_id", "support_partner_id", "support_ticket_id"],
                ["support_billed_hours:sum", "id:array_agg"],
            )
        )
        extra = self._support_extra_only_tickets(
            partners, date_from, date_to, type_ids, skip=[g[2].id for g in groups]
        )
        groups += [
            (ticket.company_id, ticket.commercial_partner_id, ticket, 0.0, []) for ticket in extra
        ]
        # Only tickets with hours to bill: never a line of zero hours, nor an invoice of them.
        groups = [group for group in groups if group[2].sudo()._support_invoice_quantity(group[3])]
        if not groups:
            return self.env["account.move"]
        line_ids = [line_id for *_keys, _hours, ids in groups for line_id in ids]
        ticket_ids = sorted({g[2].id for g in groups})
        lock_rows(self.env["account.analytic.line"].browse(line_ids))
        self.browse(ticket_ids)._support_lock_billing(block_new_time=True)
        by_invoice = defaultdict(list)
        for company, partner, ticket, hours, ids in groups:
            by_invoice[(company, partner)].append((ticket, hours, ids))
        moves = self.env["account.move"]
        batch, batch_lines, done = [], 0, 0
        for index, invoice in enumerate(by_invoice.items(), start=1):
            batch.append(invoice)
            batch_lines += len(invoice[1])
            if batch_lines >= INVOICE_BATCH_LINES or index == len(by_invoice):
                moves |= self._support_create_invoice_batch(batch, date_from, date_to)
                done += batch_lines
                batch, batch_lines = [], 0
                _logger.info("Support invoicing: %s of %s tickets invoiced", done, len(groups))
        return moves

    @api.model
    def _support_create_invoice_batch(self, invoices, date_from, date_to):
        """Create, link and re-bill one batch of ``[((company, partner), [(ticket, hours,
        timesheet ids)])]``, then empty the caches: a large run holds one batch in memory."""
        tickets = self.sudo().browse(
            [ticket.id for _key, items in invoices for ticket, _hours, _ids in items]
        )
        products = {ticket.id: ticket._support_invoice_product() for ticket in tickets}
        prices = {}
        for company in {company for (company, _partner), _items in invoices}:
            partners = self.env["res.partner"].union(
                *(partner for (comp, partner), _items in invoices if comp == company)
            )
            prices[company] = partners._support_hour_prices(
                self.env["product.product"].union(*products.values()), company
            )
        taxes = {}
        move_vals = []
        for (company, partner), items in invoices:
            # The customer's document: its texts in the customer's language, whoever runs this.
            origin = self.with_context(lang=partner.lang).env._(
                "Support %(start)s - %(end)s", start=date_from, end=date_to
            )
            currency = False
            lines = []
            for ticket, hours, _ids in items:
                ticket = ticket.with_prefetch(tickets._prefetch_ids)
                price, currency = prices[company][(partner.id, products[ticket.id].id)]
                quantity = ticket._support_invoice_quantity(hours)
                lines.append(
                    fields.Command.create(
                        ticket._prepare_support_invoice_line_values(quantity, price, currency)
                    )
                )
            vals = partner._prepare_support_invoice_values(
                company,
                currency,
                origin,
                tickets=self.browse([ticket.id for ticket, _hours, _ids in items]),
                period=(date_from, date_to),
            )
            for _command, _id, line_vals in lines:
                if "tax_ids" not in line_vals and line_vals.get("product_id"):
                    line_taxes = self._support_invoice_line_taxes(vals, line_vals, taxes)
                    line_vals["tax_ids"] = [fields.Command.set(line_taxes.ids)]
            vals["invoice_line_ids"] = lines
            move_vals.append(vals)
        # The caller's invoicing rights were checked by _support_create_invoices; the invoice
        # lines' links to the tickets are fields only the server writes.
        moves = (
            self.env["account.move"]
            .sudo()
            .with_context(default_move_type="out_invoice")
            .create(move_vals)
            .sudo(False)
        )
        line_by_ticket = {
            line.support_ticket_id.id: line
            for line in moves.sudo().invoice_line_ids
            if line.support_ticket_id
        }
        self._support_link_timesheets(
            [
                (ids, line_by_ticket[ticket.id], ticket)
                for _key, items in invoices
                for ticket, _hours, ids in items
            ]
        )
        tickets._support_recompute_billing()
        self.env.flush_all()
        self.env.invalidate_all()
        return moves

    @api.model
    def _support_invoice_line_taxes(self, invoice_vals, line_vals, cache):
        """The taxes Odoo gives an invoice line of ``line_vals`` on an invoice of
        ``invoice_vals``, by its own rule (``account.move.line._get_computed_taxes``: the
        product's sales taxes of the company, else its account's, mapped by the fiscal
        position), asked once per company, fiscal position, journal, product and account
        (``cache``: a dict kept for one batch). Given in the create values (as ``sale`` gives
        its order line's), they spare Odoo computing them line by line: a tenth of a run."""
        move_fields = ("move_type", "company_id", "fiscal_position_id", "journal_id")
        key = (
            *(invoice_vals.get(fname) or False for fname in move_fields),
            line_vals["product_id"],
            line_vals.get("account_id") or False,
        )
        if key not in cache:
            move_vals = {fname: invoice_vals.get(fname) or False for fname in move_fields}
            move_vals["move_type"] = move_vals["move_type"] or "out_invoice"
            move_vals["partner_id"] = invoice_vals.get("partner_id") or False
            new_line_vals = {
                "move_id": self.env["account.move"].sudo().new(move_vals),
                "product_id": line_vals["product_id"],
                "display_type": "product",
            }
            if line_vals.get("account_id"):  # an override's account: its taxes as the fallback
                new_line_vals["account_id"] = line_vals["account_id"]
            line = self.env["account.move.line"].sudo().new(new_line_vals)
            cache[key] = line._get_computed_taxes()
        return cache[key]

    def _support_invoice_product(self):
        """The product (and so the rate) the ticket's billable hours are invoiced with."""
        self.ensure_one()
        return self._support_invoice_product_for(self.category_id, self._support_billing_type())

    @api.model
    def _support_invoice_product_for(self, category, billing_type):
        """The product billable hours of `category` billed under `billing_type` are invoiced
        with: the category's, else the agreement type's, else the support hour. The portal's
        quote reads the same."""
        return (
            category.hourly_product_id
            or billing_type.hourly_product_id
            or self.env.ref("support_timesheet.product_support_hour")
        )

    def _prepare_support_invoice_line_values(self, quantity, price, currency):
        """Values of the ticket's invoice line: `quantity` hours at `price` in `currency`.

        The line's tax-excluded amount is given up front: Odoo otherwise writes it on each line
        once the invoice's taxes are computed (one write per line, most of the cost of a large
        run). Odoo still computes the taxes and corrects the line where a tax changes its base
        (taxes included in the price).
        """
        self.ensure_one()
        vals = {
            "product_id": self._support_invoice_product().id,
            "name": f"{self.number} - {self.name}",
            "quantity": quantity,
            "price_unit": price,
            "support_ticket_id": self.id,
            "analytic_distribution": self._support_analytic_distribution(),
        }
        if currency == self.company_id.currency_id:
            amount = -currency.round(quantity * price)
            vals.update(amount_currency=amount, balance=amount)
        return vals

    def _support_analytic_distribution(self):
        """The analytic distribution of the ticket's invoice line: its project's analytic
        account, where its time's cost is booked (Odoo's analytic reports show both)."""
        self.ensure_one()
        account = self._support_get_project().account_id
        return {str(account.id): 100.0} if account else False

    @api.model
    def _support_link_timesheets(self, links):
        """Link each group of timesheets to the invoice line that billed it, in one query.

        ``links``: ``(timesheet ids, invoice line, ticket)`` per invoiced ticket. The link is the
        lock against double billing; one UPDATE instead of a write per ticket keeps the run's
        query count independent of the number of tickets, then the caches are invalidated and
        the dependent fields marked as modified, as an ORM write would.
        """
        fnames = ["support_invoice_line_id", "support_billing_status"]
        self.env.flush_all()
        timesheet_ids, invoice_line_ids = [], []
        for ids, invoice_line, _ticket in links:
            timesheet_ids += ids
            invoice_line_ids += [invoice_line.id] * len(ids)
        # Flat (timesheet, invoice line) pairs, joined on the primary key.
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_analytic_line AS line
                   SET support_invoice_line_id = pair.invoice_line_id,
                       support_billing_status = 'invoiced',
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(timesheet_ids)s::int[], %(invoice_line_ids)s::int[])
                       AS pair(id, invoice_line_id)
                 WHERE line.id = pair.id
                """,
                uid=self.env.uid,
                timesheet_ids=timesheet_ids,
                invoice_line_ids=invoice_line_ids,
            )
        )
        timesheets = self.env["account.analytic.line"].browse(timesheet_ids)
        timesheets.invalidate_recordset(fnames + ["write_uid", "write_date"])
        self.env["account.move.line"].invalidate_model(["support_timesheet_ids"])
        timesheets.modified(fnames)
