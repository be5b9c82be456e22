# The customer's approval of hours beyond its prepaid packs, and writing off refused hours.
from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    def action_approve_extra_hours(self, partner_id=None, note=None):
        """The customer approves the hours held beyond its prepaid balance (also after refusing).

        A Key User of the customer calls it as themself (the portal); a Support Manager records
        an approval received another way: ``partner_id`` is the Key User who approved, ``note``
        says how.
        """
        partner, note = self._support_approval_author(partner_id, note)
        self._support_decide_extra_hours("approved", ("pending", "refused"), partner, note)
        return True

    def action_refuse_extra_hours(self, partner_id=None, note=None):
        """The customer refuses the held hours: they are not invoiced. Same callers as
        :meth:`action_approve_extra_hours`."""
        partner, note = self._support_approval_author(partner_id, note)
        self._support_decide_extra_hours("refused", ("pending",), partner, note)
        return True

    def action_write_off_refused_hours(self, reason=None):
        """A Support Manager settles hours the customer refused by writing them off, with a
        reason: they leave the leaks and show as written off. (To bill them anyway, record the
        customer's later approval.)"""
        if not (self.env.su or self.env.user.has_group("support_contract.group_support_manager")):
            raise AccessError(self.env._("Only a Support Manager can write off refused hours."))
        if not (reason or "").strip():
            raise UserError(self.env._("Write the reason for writing off the refused hours."))
        for ticket in self:
            if ticket.approval_state != "refused" or ticket.write_off_reason:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s has no refused hours to write off.",
                        ticket=ticket.display_name,
                    )
                )
        # Rights checked above; the write-off fields are the server's.
        tickets = self.sudo()
        tickets.write(
            {
                "write_off_reason": reason.strip(),
                "write_off_user_id": self.env.uid,
                "write_off_date": fields.Datetime.now(),
            }
        )
        tickets._support_recompute_billing()
        for ticket in tickets:
            ticket.message_post(
                body=self.env._(
                    "%(user)s wrote off the hours the customer refused: %(reason)s",
                    user=self.env.user.display_name,
                    reason=reason.strip(),
                )
            )
        return True

    def _support_approval_author(self, partner_id, note):
        """Who answers for the customer, checked: (Key User contact, note). Never read from the
        context."""
        user = self.env.user
        if user._is_internal():
            if not user.has_group("support_contract.group_support_manager"):
                raise AccessError(
                    self.env._(
                        "Only the customer's Key User, or a Support Manager recording the "
                        "customer's answer, can approve or refuse hours beyond the prepaid "
                        "balance."
                    )
                )
            if not partner_id or not (note or "").strip():
                raise UserError(
                    self.env._(
                        "Record which Key User of the customer answered and how (by phone, "
                        "e-mail, in a meeting...)."
                    )
                )
            partner = self.env["res.partner"].browse(int(partner_id)).exists()
        else:
            self.check_access("read")
            partner = user.partner_id
            if partner_id and int(partner_id) != partner.id:
                raise AccessError(
                    self.env._("You can only answer for yourself, not for another contact.")
                )
            note = False
        self._support_check_key_user(partner)
        return partner, note

    def _support_key_user_agreements(self, partner=None):
        """The agreements in force today of the tickets' customers (naming ``partner`` as a Key
        User, when given), read with sudo."""
        Agreement = self.env["support.agreement"].sudo()
        domain = Agreement._get_in_force_domain() & Domain(
            "partner_id", "in", self.sudo().commercial_partner_id.ids
        )
        if partner is not None:
            # Key User on a date: support_contract's one definition.
            domain &= partner._get_support_key_user_agreement_domain()
        return Agreement.search(domain)

    def _support_check_key_user(self, partner):
        """``partner`` must be a Key User of each ticket's customer today."""
        customers = self._support_key_user_agreements(partner).partner_id if partner else None
        for ticket in self.sudo():
            if not partner or ticket.commercial_partner_id not in customers:
                raise AccessError(
                    self.env._(
                        "%(contact)s is not a Key User of %(customer)s: only the customer's Key "
                        "Users can approve or refuse hours beyond the prepaid balance.",
                        contact=partner.display_name or self.env._("Nobody"),
                        customer=ticket.commercial_partner_id.display_name,
                    )
                )

    def _support_decide_extra_hours(self, state, from_states, partner, note=False):
        """Record the customer's answer on extra hours held for approval, with its author."""
        for ticket in self:
            if ticket.approval_state not in from_states:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s has no extra hours waiting for approval.",
                        ticket=ticket.display_name,
                    )
                )
        if state == "approved":
            message = self.env._(
                "%(partner)s approved the billable hours beyond the prepaid balance.",
                partner=partner.display_name,
            )
        else:
            message = self.env._(
                "%(partner)s refused the billable hours beyond the prepaid balance: they "
                "are not invoiced.",
                partner=partner.display_name,
            )
        if note:
            message = self.env._(
                "%(message)s Recorded by %(user)s: %(note)s",
                message=message,
                user=self.env.user.display_name,
                note=note,
            )
        # The caller's rights were checked by _support_approval_author.
        tickets = self.sudo()
        tickets.write(
            {
                "write_off_reason": False,
                "write_off_user_id": False,
                "write_off_date": False,
                "approval_state": state,
                "approval_partner_id": partner.id,
                "approval_date": fields.Datetime.now(),
                "approval_note": note,
            }
        )
        for ticket in tickets:
            ticket.message_post(body=message)
