from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "support.protected.mixin"]  # noqa: RUF012

    support_released = fields.Boolean(
        string="Support Work Released",
        readonly=True,
        copy=False,
        help="The support time or fees this invoice billed were released when it was "
        "cancelled or credited and may be billed again: it cannot be reset to draft.",
    )

    support_is_pack_revenue = fields.Boolean(
        string="Pack Revenue Entry",
        readonly=True,
        copy=False,
        help="The company's entry of the month recognising prepaid pack revenue.",
    )

    def _support_protected_fields(self):
        return super()._support_protected_fields() | {"support_released", "support_is_pack_revenue"}

    @api.model
    def _support_check_invoicing_rights(self):
        """Invoicing support time and fees is the accountant's: checked in every method that
        creates invoices, before it goes on with ``sudo()``."""
        if not (self.env.su or self.env.user.has_group("account.group_account_invoice")):
            raise AccessError(
                self.env._("Only users with invoicing rights can invoice support time and fees.")
            )

    # ------------------------------------------------------------------ release of billed work
    # As sale_timesheet: billed work is released when its invoice is cancelled or deleted, or when
    # a credit note crediting it is posted; never by a draft credit note. The released invoice
    # lines keep the ticket and the timesheets they billed (support_released_*), for the record.
    def _support_billing_lines(self):
        """The invoice lines of the moves that bill support work: time, fees or packs."""
        return self.sudo().invoice_line_ids.filtered(
            lambda line: line.support_ticket_id
            or line.support_timesheet_ids
            or line.support_fee_period_ids
            or line.product_id.support_is_pack
        )

    def _support_is_support_invoice(self):
        """Whether this customer invoice bills support time or fees (or billed them, before a
        cancel or credit note released them): filled by ``_prepare_support_invoice_values``."""
        self.ensure_one()
        return self.move_type == "out_invoice" and any(
            line.support_ticket_id or line.support_released_ticket_id or line.support_fee_period_ids
            for line in self.sudo().invoice_line_ids
        )

    def _support_release(self):
        """Free what the customer invoices billed: timesheets and fee periods become billable
        again, unused packs of a pack sale go. Safe to run twice."""
        moves = self.filtered(lambda m: m.move_type == "out_invoice")
        if not moves:
            return
        lines = moves.sudo().invoice_line_ids
        timesheets = lines.support_timesheet_ids
        tickets = lines.support_ticket_id | timesheets.support_ticket_id
        if tickets:
            # The same rows as an invoicing run of these tickets: one of the two waits or fails
            # (and is retried), never both bill the same time.
            tickets._support_lock_billing()
        moves._support_release_packs()
        billed = lines.filtered("support_ticket_id")
        if billed or timesheets:
            # For the record: the ticket and timesheets each line billed (one query each).
            self.env.flush_all()
            if billed:
                # Each line keeps its own ticket: one UPDATE copying a column, where the ORM
                # would write line by line (a value per line). A field only the server writes,
                # with no computed field depending on it; the caches are invalidated below.
                self.env.cr.execute(
                    SQL(
                        "UPDATE account_move_line SET support_released_ticket_id = "
                        "support_ticket_id WHERE id IN %s",
                        tuple(billed.ids),
                    )
                )
            if timesheets:
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO support_released_timesheet_rel (move_line_id, timesheet_id) "
                        "SELECT support_invoice_line_id, id FROM account_analytic_line "
                        "WHERE id IN %s ON CONFLICT DO NOTHING",
                        tuple(timesheets.ids),
                    )
                )
            lines.invalidate_recordset(
                ["support_released_ticket_id", "support_released_timesheet_ids"]
            )
            billed.write({"support_ticket_id": False})
        if timesheets:
            timesheets.write({"support_invoice_line_id": False})
        # The month stays taken (its invoice was cancelled or credited on purpose): the daily
        # job does not invoice it again; Invoice Monthly Fees on the agreement does.
        lines.support_fee_period_ids.filtered(lambda p: p.state == "invoiced").write(
            {"state": "cancelled"}
        )
        tickets._support_recompute_billing()

    def button_cancel(self):
        # Odoo cancels a posted move through button_draft: refused with the cancel's own words.
        self._support_check_reset(cancel=True)
        res = super().button_cancel()
        cancelled = self.filtered(lambda m: m.state == "cancel")
        cancelled.sudo().invoice_line_ids._support_undo_fee_credits()
        billed_support = cancelled.filtered(lambda m: m._support_billing_lines())
        cancelled._support_release()
        billed_support.sudo().support_released = True
        return res

    def button_draft(self):
        self._support_check_reset()
        return super().button_draft()

    def _support_check_reset(self, cancel=False):
        """Decided on purpose: a move whose support work was released cannot go back to draft
        (nor be cancelled, when posted). The released work may be billed again since, or be
        billed by the next run: binding it back would bill it twice or take it from another
        invoice. The user is told what to do instead."""
        released = self.filtered("support_released")
        if cancel:
            released = released.filtered(lambda m: m.state == "posted")
        if released and cancel:
            raise UserError(
                self.env._(
                    "The support work billed by %(invoices)s was released when the invoice was "
                    "credited and can be billed again: the invoice cannot be cancelled. Invoice "
                    "that work with Invoice Support Time; the invoice and its credit note stay "
                    "as they are.",
                    invoices=", ".join(released.mapped("display_name")),
                )
            )
        if released:
            raise UserError(
                self.env._(
                    "The support work billed by %(invoices)s was released when the invoice was "
                    "cancelled or credited and can be billed again. Invoice it with Invoice "
                    "Support Time instead of resetting this invoice to draft.",
                    invoices=", ".join(released.mapped("display_name")),
                )
            )
        releasing = self.filtered(
            lambda m: m.move_type == "out_refund"
            and m.state == "posted"
            and m.reversed_entry_id.support_released
        )
        if not releasing:
            return
        credit_notes = ", ".join(releasing.mapped("display_name"))
        if cancel:
            raise UserError(
                self.env._(
                    "The credit note %(credit_notes)s released the support work of the invoice "
                    "it credits, which can be billed again: it cannot be cancelled. To bill that "
                    "work again, invoice it with Invoice Support Time; the credit note stays "
                    "as it is.",
                    credit_notes=credit_notes,
                )
            )
        raise UserError(
            self.env._(
                "The credit note %(credit_notes)s released the support work of the invoice "
                "it credits, which can be billed again. Invoice that work anew instead of "
                "resetting the credit note to draft.",
                credit_notes=credit_notes,
            )
        )

    def _support_credited_invoices(self):
        """The support invoices that these posted credit notes credit in full: every support
        line matched by a credit note line of the same product with at least its quantity and
        price. A partial credit (a goodwill discount) releases nothing."""
        invoices = self.env["account.move"]
        for refund in self.filtered(lambda m: m.move_type == "out_refund"):
            invoice = refund.reversed_entry_id
            if invoice.move_type != "out_invoice" or invoice.support_released:
                continue
            billing = invoice._support_billing_lines()
            if not billing:
                continue
            credit = [
                [line.product_id, line.quantity, line.price_unit]
                for line in refund.invoice_line_ids
                if line.display_type == "product"
            ]
            matched = True
            for line in billing:
                match = next(
                    (
                        c
                        for c in credit
                        if c[0] == line.product_id
                        and c[1] >= line.quantity - 1e-6
                        and c[2] >= line.price_unit - 1e-6
                    ),
                    None,
                )
                if match is None:
                    matched = False
                    break
                credit.remove(match)
            if matched:
                invoices |= invoice
        return invoices

    def unlink(self):
        self._support_release()
        self.sudo().invoice_line_ids._support_undo_fee_credits()
        return super().unlink()

    def _support_billing_snapshot(self):
        """What this invoice's lines bill, line by line: [(product, name, quantity, ticket,
        timesheets, fee period values)], for the new draft of a *reverse and create a new
        draft* to take over (see ``_support_relink``)."""
        self.ensure_one()
        snapshot = []
        for line in self._support_billing_lines():
            snapshot.append(
                {
                    "product": line.product_id,
                    "name": line.name,
                    "quantity": line.quantity,
                    "ticket": line.support_ticket_id,
                    "timesheets": line.support_timesheet_ids,
                    "periods": line.support_fee_period_ids,
                }
            )
        return snapshot if any(s["ticket"] or s["periods"] for s in snapshot) else []

    def _support_relink(self, snapshot):
        """Link this new draft's lines to the work the credited invoice billed (released when its
        credit note was posted): the ticket, its timesheets not billed again since, the fee
        months not invoiced again since."""
        self.ensure_one()
        lines = self.sudo().invoice_line_ids.filtered(lambda line: line.display_type == "product")
        free = lines
        tickets = self.env["support.ticket"]
        links = []
        for item in snapshot:
            line = next(
                (
                    candidate
                    for candidate in free
                    if candidate.product_id == item["product"] and candidate.name == item["name"]
                ),
                None,
            )
            if not line:
                continue
            free -= line
            timesheets = item["timesheets"].sudo().filtered(lambda t: not t.support_invoice_line_id)
            if item["ticket"]:
                line.support_ticket_id = item["ticket"]
                tickets |= item["ticket"]
            if timesheets and item["ticket"]:
                links.append((timesheets.ids, line, item["ticket"]))
            if item["periods"]:
                item["periods"].filtered(lambda p: p.state == "cancelled").write(
                    {"invoice_line_id": line.id, "state": "invoiced"}
                )
        if links:
            self.env["support.ticket"]._support_link_timesheets(links)
        tickets._support_recompute_billing()

    def _support_release_packs(self):
        """A cancelled or credited pack sale removes its unused packs; used ones stay, noted."""
        packs = (
            self.env["support.hour.pack"]
            .sudo()
            .search([("invoice_line_id", "in", self.invoice_line_ids.ids)])
        )
        # A pack with revenue recognised stays too: the next recognition reverses it.
        recognised = dict(
            self.env["account.move.line"]
            .sudo()
            ._read_group([("support_pack_id", "in", packs.ids)], ["support_pack_id"], ["__count"])
        )
        used = packs.filtered(lambda p: p.consumption_ids or p in recognised)
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
        posted._support_link_pack_credits()
        credited = posted._support_credited_invoices()
        if credited:
            credited._support_release()
            credited.sudo().support_released = True
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
        deferred = {
            company: company.support_deferred_revenue_account_id
            for company in lines.company_id.sudo()
        }
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
                        "deferred_account_id": line.account_id.id
                        if line.account_id == deferred.get(line.company_id)
                        else False,
                    }
                )
        if vals_list:
            Pack.create(vals_list)

    def _reverse_moves(self, default_values_list=None, cancel=False):
        reverses = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        self._support_link_reversed_pack_revenue(reverses)
        return reverses

    def _support_link_reversed_pack_revenue(self, reverses):
        """A reversal of a pack revenue entry (Odoo's *Reverse*) names the packs its lines
        reverse, as the entry did: the recognition's true-up and the Prepaid Pack Revenue report
        count it (the next run recognises the packs' revenue again)."""
        for move, reverse in zip(self, reverses, strict=True):
            recognised = move.line_ids.filtered("support_pack_id")
            if not recognised:
                continue
            free = reverse.line_ids
            for line in recognised:
                match = free.filtered(
                    lambda r, line=line: r.account_id == line.account_id
                    and r.partner_id == line.partner_id
                    and r.name == line.name
                    and r.currency_id.compare_amounts(r.balance, -line.balance) == 0
                )[:1]
                if match:
                    free -= match
                    match.sudo().support_pack_id = line.support_pack_id

    def _support_link_pack_credits(self):
        """Link the pack lines of posted credit notes to the pack sale lines they credit (same
        product, in the invoice they reverse): what a pack is worth is its sale less them."""
        for refund in self.filtered(lambda m: m.move_type == "out_refund" and m.reversed_entry_id):
            sold = refund.reversed_entry_id.invoice_line_ids.filtered(
                lambda line: line.product_id.support_is_pack
            )
            for line in refund.invoice_line_ids.filtered(
                lambda line: line.product_id.support_is_pack and not line.support_pack_sale_line_id
            ):
                same = sold.filtered(lambda s, line=line: s.product_id == line.product_id)
                match = (
                    same.filtered(
                        lambda s, line=line: s.price_unit == line.price_unit
                        and s.quantity == line.quantity
                    )[:1]
                    or same[:1]
                )
                if match:
                    line.sudo().support_pack_sale_line_id = match
                    sold -= match
