from markupsafe import Markup

from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def _prepare_default_reversal(self, move):
        """A credit note of a support invoice (time or fees) keeps the invoice's reference (the
        customer's ``support_invoice_ref``: what e-invoicing sends as the buyer's reference, by
        which the customer routes the credit note); Odoo's *Reversal of* text, with the reason,
        goes to the credit note's notes instead, where the customer reads it."""
        vals = super()._prepare_default_reversal(move)
        if move.ref and move._support_is_support_invoice():
            reversal = vals.get("ref")
            vals["ref"] = move.ref
            if reversal:
                vals["narration"] = Markup("<p>%s</p>") % reversal + Markup(move.narration or "")
        return vals

    def _modify_default_reverse_values(self, origin_move):
        """*Reverse and create a new draft*: the new support invoice keeps the reference
        (Odoo does not copy ``ref``)."""
        vals = super()._modify_default_reverse_values(origin_move)
        if origin_move.ref and origin_move._support_is_support_invoice():
            vals["ref"] = origin_move.ref
        return vals

    def reverse_moves(self, is_modify=False):
        """*Reverse and create a new draft* (modify): the credit note releases the support work
        of the invoice; the new draft takes it over, so it is billed once, by the new draft."""
        if not is_modify:
            return super().reverse_moves(is_modify=is_modify)
        snapshots = {
            move: move._support_billing_snapshot()
            for move in self.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        }
        snapshots = {move: snap for move, snap in snapshots.items() if snap}
        action = super().reverse_moves(is_modify=is_modify)
        if snapshots:
            new_moves = self.new_move_ids.filtered(lambda m: m.move_type == "out_invoice")
            for move, snapshot in snapshots.items():
                new = next(
                    (
                        n
                        for n in new_moves
                        if n.commercial_partner_id == move.commercial_partner_id
                        and n.company_id == move.company_id
                    ),
                    None,
                )
                if new:
                    new_moves -= new
                    new._support_relink(snapshot)
        return action
