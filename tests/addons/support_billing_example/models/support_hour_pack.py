from odoo import api, models


class SupportHourPack(models.Model):
    _inherit = "support.hour.pack"

    @api.model
    def _support_draw_candidates(self, partners, companies):
        """A customer may have its packs drawn newest first or smallest first. The one home of
        the order: the engine and what the portal tells the customer both read it."""
        packs = super()._support_draw_candidates(partners, companies)
        if not packs.partner_id.filtered("support_example_pack_order"):
            return packs
        position = {pack.id: index for index, pack in enumerate(packs)}

        def key(pack):
            order = pack.partner_id.support_example_pack_order
            if order == "newest":
                return (pack.partner_id.id, -pack.date_start.toordinal(), -pack.id)
            if order == "smallest":
                return (pack.partner_id.id, pack.hours, pack.id)
            return (pack.partner_id.id, position[pack.id])

        return packs.sorted(key)
