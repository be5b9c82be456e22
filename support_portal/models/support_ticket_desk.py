"""The portal side of the support desk: colleagues copied and attachments on a new request,
closing and reopening a request, Key Users following all their company's requests."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    # --- New request: colleagues and attachments ----------------------------------------------
    @api.model
    def _portal_colleague_options(self, partner=None):
        """Contacts of the current user's customer who can be copied on a request."""
        partner = partner or self.env.user.partner_id
        customer = partner.commercial_partner_id
        return (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("id", "child_of", customer.id),
                    ("id", "!=", partner.id),
                    ("email", "!=", False),
                    ("is_company", "=", False),
                ],
                order="name, id",
            )
        )

    @api.model
    def _portal_get_colleagues(self, partner_ids):
        """The colleagues to copy, checked: contacts of the current user's own customer."""
        ids = set()
        for value in partner_ids or []:
            try:
                ids.add(int(value))
            except (TypeError, ValueError):
                raise UserError(self.env._("Please choose colleagues from the list.")) from None
        colleagues = self.env["res.partner"].sudo().browse(ids)
        allowed = self._portal_colleague_options()
        if colleagues - allowed:
            raise UserError(
                self.env._("You can only copy colleagues of your own company on a request.")
            )
        return colleagues

    @api.model
    def _portal_check_attachments(self, attachments):
        """Refuse the whole request when a file is refused (size or type), with the reason."""
        files = []
        for name, content in attachments or []:
            if not name and not content:
                continue
            refusal = self._support_attachment_refusal(name, len(content or b""))
            if refusal:
                raise UserError(refusal)
            files.append((name, content))
        return files

    def _portal_add_request_extras(self, partner, colleagues, attachments):
        """Attach the files with a message of the requester (as an e-mail request would
        bring them), copy the colleagues (followers), then acknowledge the request."""
        self.ensure_one()
        ticket = self.sudo()
        if attachments:
            ticket.message_post(
                body=self.env._("Files attached to the request."),
                attachments=attachments,
                author_id=partner.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        if colleagues:
            ticket.message_subscribe(partner_ids=colleagues.ids)
        ticket._support_notify("received")

    def _portal_visible_attachments(self):
        """Files of the messages a customer sees (not of internal notes)."""
        self.ensure_one()
        messages = self.sudo().message_ids.filtered(
            lambda m: not m.is_internal and m.subtype_id and not m.subtype_id.internal
        )
        return messages.attachment_ids.sorted("id")

    # --- Close and reopen -----------------------------------------------------------------------
    def _portal_check_customer(self):
        """The current user may act on these tickets in the portal: read access (the record
        rules: own requests, or all of the company's for a Key User) and the same customer."""
        self.check_access("read")
        partner = self.env.user.partner_id
        for ticket in self.sudo():
            if ticket.commercial_partner_id != partner.commercial_partner_id:
                raise AccessError(
                    self.env._("You can only close or reopen requests of your own company.")
                )

    def action_portal_close(self):
        """The customer considers the request solved: it is resolved (outcome Other unless the
        team set one)."""
        self._portal_check_customer()
        partner = self.env.user.partner_id
        stage = self.env["support.ticket.stage"].sudo().search([("is_closed", "=", True)], limit=1)
        for ticket in self.sudo():
            if ticket.is_closed or ticket.is_cancelled:
                raise UserError(self.env._("Request %(ref)s is not open.", ref=ticket.display_name))
            ticket.write({"stage_id": stage.id, "outcome": ticket.outcome or "other"})
            ticket.message_post(
                body=self.env._("%(name)s closed the request as solved.", name=partner.name),
                author_id=partner.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_portal_reopen(self):
        """The customer reopens a resolved request, within the reopen window."""
        self._portal_check_customer()
        for ticket in self.sudo():
            if not ticket.is_closed:
                raise UserError(
                    self.env._("Request %(ref)s is not resolved.", ref=ticket.display_name)
                )
            if not ticket._support_can_reopen():
                raise UserError(
                    self.env._(
                        "Request %(ref)s was resolved more than %(days)s days ago: please "
                        "submit a new request.",
                        ref=ticket.display_name,
                        days=ticket.company_id.support_reopen_days,
                    )
                )
        self.sudo()._support_reopen(self.env.user.partner_id)
        return True

    def _portal_can_reopen(self):
        self.ensure_one()
        return self.sudo().is_closed and self.sudo()._support_can_reopen()

    # --- Key Users following all requests -----------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._support_subscribe_followers_of_all()
        return tickets

    def _support_subscribe_followers_of_all(self):
        """Key Users who follow all their company's requests follow the new ones."""
        tickets = self.sudo().filtered("commercial_partner_id")
        if not tickets:
            return
        followers = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("support_follow_all", "=", True),
                    ("commercial_partner_id", "in", tickets.commercial_partner_id.ids),
                ]
            )
        )
        for ticket in tickets:
            partners = followers.filtered(
                lambda p, t=ticket: p.commercial_partner_id == t.commercial_partner_id
                and p._is_support_key_user()
            )
            if partners:
                ticket.message_subscribe(partner_ids=partners.ids)


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_follow_all = fields.Boolean(
        string="Follows All Support Requests",
        help="A Key User who follows every support request of their company.",
    )

    def _portal_set_follow_all(self, follow):
        """The current user (a Key User) follows, or stops following, all of the company's
        requests: the open ones now, and the new ones as they come."""
        partner = self.env.user.partner_id
        if not partner._is_support_key_user():
            raise AccessError(
                self.env._("Only a Key User can follow all the requests of the company.")
            )
        partner.sudo().support_follow_all = bool(follow)
        tickets = (
            self.env["support.ticket"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                    ("is_closed", "=", False),
                    ("is_cancelled", "=", False),
                ]
            )
        )
        if follow:
            tickets.message_subscribe(partner_ids=partner.ids)
        else:
            tickets.filtered(lambda t: t.partner_id != partner).message_unsubscribe(
                partner_ids=partner.ids
            )
        return True
