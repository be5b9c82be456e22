from odoo import api, models


class SupportHourPack(models.Model):
    _inherit = "support.hour.pack"

    @api.model
    def _portal_packs_page_values(self, partner):
        """Values of the portal packs page for `partner`, read with the current user's rights:
        the customer's packs with their consumption history, and the work held for approval."""
        packs = self.search([], order="date_start desc, id desc")
        history = {pack.id: [] for pack in packs}
        Ticket = self.env["support.ticket"]
        if packs:
            lines = self.env["support.hour.pack.consumption"].search(
                [("pack_id", "in", packs.ids)], order="date desc, id desc"
            )
            # A contact sees every draw on the customer's packs, but links only to the tickets
            # the record rules let them open.
            readable = set(Ticket.search([("id", "in", lines.ticket_id.ids)]).ids)
            for line in lines:
                ticket = line.ticket_id.sudo()
                history[line.pack_id.id].append(
                    {
                        "date": line.date,
                        "ticket": f"{ticket.number} {ticket.name}",
                        "url": ticket.access_url if ticket.id in readable else False,
                        "hours": line.hours,
                    }
                )
        held = Ticket.search([("approval_state", "=", "pending")], order="request_date, id")
        return {
            "packs": packs,
            "pack_history": history,
            "held_tickets": held,
            "cost_control": partner.commercial_partner_id.sudo().support_cost_control,
            "is_key_user": partner._is_support_key_user(),
        }
