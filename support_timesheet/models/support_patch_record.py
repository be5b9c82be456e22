"""A patch record is locked once the customer's statement of its month has been sent."""

from odoo import models


class SupportPatchRecord(models.Model):
    _inherit = "support.patch.record"

    def _support_locked(self):
        locked = super()._support_locked()
        dated = self.filtered("date")
        if not dated:
            return locked
        sent = (
            self.env["support.statement"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", dated.partner_id.ids),
                    ("date", "in", list({record.date.replace(day=1) for record in dated})),
                    ("state", "=", "sent"),
                ]
            )
        )
        months = {(s.partner_id.id, s.company_id.id, s.date) for s in sent}
        return locked | dated.filtered(
            lambda r: (r.partner_id.id, r.company_id.id, r.date.replace(day=1)) in months
        )
