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
            # The balance is the customer's: every draw on its packs is listed, but a request
            # the contact may not open (a colleague's, for a contact who reads only their
            # own: the tickets' record rules) shows neither its reference nor its title.
            lines = (
                self.env["support.hour.pack.consumption"]
                .sudo()
                .search([("pack_id", "in", packs.ids)], order="date desc, id desc")
            )
            readable = set(Ticket.search([("id", "in", lines.ticket_id.ids)]).ids)
            other = self.env._("A colleague's request")
            for line in lines:
                ticket = line.ticket_id
                shown = ticket.id in readable
                history[line.pack_id.id].append(
                    {
                        "date": line.date,
                        "ticket": f"{ticket.number} {ticket.name}" if shown else other,
                        "url": ticket.access_url if shown else False,
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
