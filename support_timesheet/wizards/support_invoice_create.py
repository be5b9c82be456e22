from odoo import api, fields, models
from odoo.exceptions import UserError


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
            self.env["support.ticket"]._support_check_invoice_period(
                wizard.date_from, wizard.date_to
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
    def _create_invoices_for(self, partners, date_from, date_to, type_ids=None):
        """Draft invoices of the billable support time of a period (see
        ``support.ticket._support_create_invoices``)."""
        return self.env["support.ticket"]._support_create_invoices(
            partners, date_from, date_to, type_ids
        )
