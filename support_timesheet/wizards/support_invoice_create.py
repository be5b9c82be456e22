from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round


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
        values = SQL(", ").join(
            SQL(
                "(%s::int[], %s, %s)",
                list(ids),
                invoice_line.id,
                self.env._(
                    "Invoiced with ticket %(ticket)s: %(hours).2f h billed on its invoice "
                    "line (the line's hourly hours plus any per-request minimum).",
                    ticket=ticket.number,
                    hours=invoice_line.quantity,
                ),
            )
            for ids, invoice_line, ticket in links
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_analytic_line AS line
                   SET support_invoice_line_id = link.invoice_line_id,
                       support_billing_status = 'invoiced',
                       support_billing_reason = link.reason,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM (VALUES %(values)s) AS link(ids, invoice_line_id, reason)
                 WHERE line.id = ANY(link.ids)
                """,
                uid=self.env.uid,
                values=values,
            )
        )
        timesheets = self.env["account.analytic.line"].browse(
            [line_id for ids, _invoice_line, _ticket in links for line_id in ids]
        )
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
        default_type = self.env["support.ticket"]._support_default_type()
        by_invoice = defaultdict(list)
        for company, partner, ticket, hours, ids in groups:
            by_invoice[(company, partner)].append((ticket, hours, ids))
        move_vals = []
        for (company, partner), items in by_invoice.items():
            invoice_lines = []
            for ticket, hours, _ids in items:
                product = ticket._support_hourly_product(default_type)
                quantity = float_round(
                    max(hours + ticket.hours_extra_to_invoice, 0.0), precision_digits=4
                )
                invoice_lines.append(
                    fields.Command.create(
                        {
                            "product_id": product.id,
                            "name": f"{ticket.number} - {ticket.name}",
                            "quantity": quantity,
                            "price_unit": product.lst_price,
                            "support_ticket_id": ticket.id,
                        }
                    )
                )
            move_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
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
                for ticket, _hours, ids in (item for items in by_invoice.values() for item in items)
            ]
        )
        tickets._support_recompute_billing()
        return moves
