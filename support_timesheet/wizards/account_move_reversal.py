from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

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
