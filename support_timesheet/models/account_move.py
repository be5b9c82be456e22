from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.support_contract.tools.protected_fields import (
    check_protected_values,
    protect_defaults,
)


class AccountMove(models.Model):
    _inherit = "account.move"

    support_released = fields.Boolean(
        string="Support Work Released",
        readonly=True,
        copy=False,
        help="The support time or fees this invoice billed were released when it was "
        "cancelled and may be billed again: it cannot be reset to draft.",
    )

    def _support_protected_fields(self):
        return {"support_released"}

    def _support_may_write_protected(self):
        return self.env.su

    @api.model
    def default_get(self, fields):
        return protect_defaults(self, super().default_get(fields))

    @api.model_create_multi
    def create(self, vals_list):
        check_protected_values(self, vals_list, create=True)
        return super().create(vals_list)

    def write(self, vals):
        check_protected_values(self, [vals])
        return super().write(vals)

    @api.model
    def _support_check_invoicing_rights(self):
        """Invoicing support time and fees is the accountant's: checked in every method that
        creates invoices, before it goes on with ``sudo()``."""
        if not (self.env.su or self.env.user.has_group("account.group_account_invoice")):
            raise AccessError(
                self.env._("Only users with invoicing rights can invoice support time and fees.")
            )

    # ------------------------------------------------------------------ release of billed work
    def _support_release(self):
        """Free what the moves billed: timesheets and fee periods become billable again."""
        if not self:
            return
        lines = self.sudo().invoice_line_ids
        self._support_release_packs()
        timesheets = lines.support_timesheet_ids
        tickets = lines.support_ticket_id | timesheets.support_ticket_id
        periods = lines.support_fee_period_ids
        if not (timesheets or tickets or periods):
            return
        if timesheets:
            timesheets.write({"support_invoice_line_id": False})
        lines.filtered("support_ticket_id").write({"support_ticket_id": False})
        periods.unlink()
        tickets._support_recompute_billing()

    def button_cancel(self):
        res = super().button_cancel()
        cancelled = self.filtered(lambda m: m.state == "cancel")
        billed_support = cancelled.sudo().filtered(
            lambda m: m.invoice_line_ids.support_ticket_id
            or m.invoice_line_ids.support_timesheet_ids
            or m.invoice_line_ids.support_fee_period_ids
        )
        cancelled._support_release()
        billed_support.support_released = True
        return res

    def button_draft(self):
        released = self.filtered("support_released")
        if released:
            raise UserError(
                self.env._(
                    "The support work billed by %(invoices)s was released when the invoice was "
                    "cancelled and can be billed again. Invoice it with Invoice Support Time "
                    "instead of resetting this invoice to draft.",
                    invoices=", ".join(released.mapped("display_name")),
                )
            )
        return super().button_draft()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        reversed_moves = super()._reverse_moves(default_values_list, cancel=cancel)
        # A credit note of a support invoice releases the work it billed.
        self.filtered(lambda m: m.move_type == "out_invoice")._support_release()
        return reversed_moves

    def unlink(self):
        self._support_release()
        return super().unlink()

    def _support_release_packs(self):
        """A cancelled or credited pack sale removes its unused packs; used ones stay, noted."""
        packs = (
            self.env["support.hour.pack"]
            .sudo()
            .search([("invoice_line_id", "in", self.invoice_line_ids.ids)])
        )
        used = packs.filtered("consumption_ids")
        (packs - used).unlink()
        for pack in used:
            pack.message_post(
                body=self.env._(
                    "The invoice %(invoice)s that sold this pack was cancelled or credited; the "
                    "pack is kept because %(hours).2f hours are already drawn from it.",
                    invoice=pack.invoice_line_id.move_id.display_name,
                    hours=pack.hours_used,
                )
            )

    # ------------------------------------------------------------------ pack sales
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._support_create_packs()
        return posted

    def _support_create_packs(self):
        """Create one prepaid pack per unit of pack products on posted customer invoices."""
        lines = self.filtered(lambda m: m.move_type == "out_invoice").invoice_line_ids.filtered(
            lambda line: line.product_id.support_is_pack
        )
        if not lines:
            return
        Pack = self.env["support.hour.pack"].sudo()
        existing = dict(
            Pack._read_group(
                [("invoice_line_id", "in", lines.ids)], ["invoice_line_id"], ["__count"]
            )
        )
        vals_list = []
        for line in lines:
            product = line.product_id
            units = int(round(line.quantity))
            date_start = line.move_id.invoice_date or line.move_id.date
            for index in range(existing.get(line, 0), units):
                vals_list.append(
                    {
                        "name": f"{product.name} - {line.move_id.name}"
                        + (f" ({index + 1})" if units > 1 else ""),
                        "partner_id": line.move_id.partner_id.commercial_partner_id.id,
                        "hours": product.support_pack_hours,
                        "date_start": date_start,
                        "date_end": date_start
                        + relativedelta(months=product.support_pack_validity_months, days=-1),
                        "company_id": line.move_id.company_id.id,
                        "invoice_line_id": line.id,
                    }
                )
        if vals_list:
            Pack.create(vals_list)
