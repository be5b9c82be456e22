import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round

_logger = logging.getLogger(__name__)

# Tickets (invoice lines) per batch of a run: bounds the memory of a large run.
INVOICE_BATCH_LINES = 1000


class SupportInvoiceCreate(models.TransientModel):
    _name = "support.invoice.create"
    _description = "Invoice Billable Support Time"

    date_from = fields.Date(
        string="From", required=True, default=lambda self: self._default_date_from()
    )
    date_to = fields.Date(string="To", required=True, default=lambda self: self._default_date_to())
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        domain="[('is_company', '=', True)]",
        help="Leave empty to invoice every customer with billable time in the period.",
    )
    type_ids = fields.Many2many(
        "support.agreement.type",
        string="Agreement Types",
        help="Only requests billed under these agreement types (empty: all).",
    )

    @api.model
    def _default_date_from(self):
        today = fields.Date.context_today(self)
        return fields.Date.start_of(fields.Date.subtract(today, months=1), "month")

    @api.model
    def _default_date_to(self):
        today = fields.Date.context_today(self)
        return fields.Date.end_of(fields.Date.subtract(today, months=1), "month")

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            self._check_period(wizard.date_from, wizard.date_to)

    @api.model
    def _check_period(self, date_from, date_to):
        if date_from and date_to and date_to < date_from:
            raise UserError(
                self.env._(
                    "The invoicing period ends (%(end)s) before it starts (%(start)s).",
                    start=date_from,
                    end=date_to,
                )
            )

    def action_create_invoices(self):
        self.ensure_one()
        moves = self._create_invoices_for(
            self.partner_ids, self.date_from, self.date_to, self.type_ids.ids or None
        )
        if not moves:
            raise UserError(
                self.env._("There is no billable support time to invoice in this period.")
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_run_in_background(self):
        """Queue the run for the scheduled job: for periods with thousands of tickets."""
        self.ensure_one()
        run = self.env["support.invoice.run"].create(
            {
                "date_from": self.date_from,
                "date_to": self.date_to,
                "partner_ids": self.partner_ids.ids,
                "type_ids": self.type_ids.ids,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "support.invoice.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _billable_partners(self, partners, date_from, date_to, type_ids=None):
        """The customers with billable time not invoiced yet in the period."""
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                self._get_billable_domain(partners, date_from, date_to, type_ids),
                ["support_partner_id"],
            )
        )
        return self.env["res.partner"].browse(sorted(partner.id for (partner,) in groups))

    @api.model
    def _get_billable_domain(self, partners, date_from, date_to, type_ids=None):
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
    def _link_timesheets(self, links):
        """Link each group of timesheets to the invoice line that billed it, in one query.

        ``links``: ``(timesheet ids, invoice line, ticket)`` per invoiced ticket. The link is the
        lock against double billing; one UPDATE instead of a write per ticket keeps the run's
        query count independent of the number of tickets, then the caches are invalidated and
        the dependent fields marked as modified, as an ORM write would.
        """
        fnames = ["support_invoice_line_id", "support_billing_status", "support_billing_reason"]
        self.env.flush_all()
        timesheet_ids, invoice_line_ids, reasons = [], [], {}
        for ids, invoice_line, ticket in links:
            timesheet_ids += ids
            invoice_line_ids += [invoice_line.id] * len(ids)
            reasons[invoice_line.id] = self.env._(
                "Invoiced with ticket %(ticket)s: %(hours).2f h billed on its invoice "
                "line (the line's hourly hours plus any per-request minimum).",
                ticket=ticket.number,
                hours=invoice_line.quantity,
            )
        # Flat (timesheet, invoice line) pairs, joined on the primary key, and one reason per
        # invoice line.
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_analytic_line AS line
                   SET support_invoice_line_id = pair.invoice_line_id,
                       support_billing_status = 'invoiced',
                       support_billing_reason = reason.text,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(timesheet_ids)s::int[], %(invoice_line_ids)s::int[])
                       AS pair(id, invoice_line_id)
                  JOIN unnest(%(reason_line_ids)s::int[], %(reasons)s::text[])
                       AS reason(invoice_line_id, text)
                    ON reason.invoice_line_id = pair.invoice_line_id
                 WHERE line.id = pair.id
                """,
                uid=self.env.uid,
                timesheet_ids=timesheet_ids,
                invoice_line_ids=invoice_line_ids,
                reason_line_ids=list(reasons),
                reasons=list(reasons.values()),
            )
        )
        timesheets = self.env["account.analytic.line"].browse(timesheet_ids)
        timesheets.invalidate_recordset(fnames + ["write_uid", "write_date"])
        self.env["account.move.line"].invalidate_model(["support_timesheet_ids"])
        timesheets.modified(fnames)

    @api.model
    def _create_invoices_for(self, partners, date_from, date_to, type_ids=None):
        """Draft customer invoices for the billable support time of a period.

        One invoice per customer (and company), one line per ticket with its billed hours (the
        period's hourly hours plus any per-request minimum not billed yet), every timesheet
        linked to the line that billed it. The timesheets and tickets are locked first (NOWAIT):
        a concurrent run fails on the lock, or on the serialization check once the first run
        committed, and bills nothing twice.
        """
        if not (self.env.su or self.env.user.has_group("account.group_account_invoice")):
            raise AccessError(self.env._("Only accountants can invoice support time."))
        self._check_period(date_from, date_to)
        Line = self.env["account.analytic.line"].sudo()
        groups = Line._read_group(
            self._get_billable_domain(partners, date_from, date_to, type_ids),
            ["company_id", "support_partner_id", "support_ticket_id"],
            ["support_billed_hours:sum", "id:array_agg"],
        )
        if not groups:
            return self.env["account.move"]
        line_ids = [line_id for *_keys, _hours, ids in groups for line_id in ids]
        tickets = self.env["support.ticket"].sudo().browse({g[2].id for g in groups})
        self.env.cr.execute(
            "SELECT id FROM account_analytic_line WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT",
            [tuple(line_ids)],
        )
        self.env.cr.execute(
            "SELECT id FROM support_ticket WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT",
            [tuple(tickets.ids)],
        )
        by_invoice = defaultdict(list)
        for company, partner, ticket, hours, ids in groups:
            by_invoice[(company, partner)].append((ticket, hours, ids))
        moves = self.env["account.move"]
        batch, batch_lines, done = [], 0, 0
        for index, invoice in enumerate(by_invoice.items(), start=1):
            batch.append(invoice)
            batch_lines += len(invoice[1])
            if batch_lines >= INVOICE_BATCH_LINES or index == len(by_invoice):
                moves |= self._create_invoice_batch(batch, date_from, date_to)
                done += batch_lines
                batch, batch_lines = [], 0
                _logger.info("Support invoicing: %s of %s tickets invoiced", done, len(groups))
        return moves

    @api.model
    def _create_invoice_batch(self, invoices, date_from, date_to):
        """Create, link and re-bill one batch of ``[((company, partner), [(ticket, hours,
        timesheet ids)])]``, then empty the caches: a large run holds one batch in memory."""
        default_type = self.env["support.ticket"]._support_default_type()
        fallback_product = self.env.ref("support_timesheet.product_support_hour")
        quantity_digits = self.env["account.move.line"]._fields["quantity"].get_digits(self.env)[1]
        tickets = (
            self.env["support.ticket"]
            .sudo()
            .browse([ticket.id for _key, items in invoices for ticket, _hours, _ids in items])
        )
        move_vals = []
        for (company, partner), items in invoices:
            currency = company.currency_id
            invoice_lines = []
            for ticket, hours, _ids in items:
                ticket = ticket.with_prefetch(tickets._prefetch_ids)
                product = (
                    ticket._support_billing_type(default_type).hourly_product_id or fallback_product
                )
                quantity = float_round(
                    max(hours + ticket.hours_extra_to_invoice, 0.0),
                    precision_digits=quantity_digits,
                )
                # The line's tax-excluded amount, given up front: Odoo otherwise writes it on
                # each line once the invoice's taxes are computed (one write per line, most of
                # the cost of a large run). Odoo still computes the taxes and corrects the line
                # where a tax changes its base (taxes included in the price).
                price = product.lst_price
                amount = -currency.round(quantity * price)
                invoice_lines.append(
                    fields.Command.create(
                        {
                            "product_id": product.id,
                            "name": f"{ticket.number} - {ticket.name}",
                            "quantity": quantity,
                            "price_unit": price,
                            "amount_currency": amount,
                            "balance": amount,
                            "support_ticket_id": ticket.id,
                        }
                    )
                )
            move_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "invoice_origin": self.env._(
                        "Support %(start)s - %(end)s", start=date_from, end=date_to
                    ),
                    "invoice_line_ids": invoice_lines,
                }
            )
        moves = (
            self.env["account.move"].with_context(default_move_type="out_invoice").create(move_vals)
        )
        line_by_ticket = {
            line.support_ticket_id.id: line
            for line in moves.sudo().invoice_line_ids
            if line.support_ticket_id
        }
        self._link_timesheets(
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
