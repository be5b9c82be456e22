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

    # Odoo's placeholder for files uploaded before their message exists (portal composer).
    _portal_pending_model = "mail.compose.message"

    @api.model
    def _portal_upload_pending_attachment(self, name, raw):
        """A file for the request the current user is writing in the portal: uploaded through
        Odoo's ``/mail/attachment/upload`` as a pending attachment (like the portal composer's),
        owned by its uploader until `_portal_pending_attachments` links it on submit.

        Odoo's checks: its upload limit (``web.max_file_upload_size``: checked in the browser,
        and every request over it is refused by Odoo's HTTP layer before any route runs) and
        ``ir.attachment``'s content check on create (HTML, SVG and XML from a customer are kept
        as plain text). The suite refuses programs and scripts, as from e-mail.
        """
        if self.env.user._is_public():
            raise AccessError(self.env._("Sign in to attach files to a support request."))
        refusal = self._support_attachment_type_refusal(name)
        if refusal:
            raise UserError(refusal)
        # sudo: pending attachments are created as Odoo's upload route creates them, owned by
        # the current user (create_uid) and proven by their ownership token.
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {"name": name, "raw": raw, "res_model": self._portal_pending_model, "res_id": 0}
            )
        )
        attachment._post_add_create()
        return attachment

    @api.model
    def _portal_pending_attachments(self, attachment_ids, attachment_tokens):
        """The files uploaded for a new request, checked as Odoo checks those of a portal
        message: each id with its ownership token (``_has_attachments_ownership``), uploaded by
        the current user and still pending (on no record, in no message). Anything else
        refuses the request: an attachment of someone else is never linked."""
        refused = self.env._(
            "One or more attachments do not exist, or you do not have the rights to access them."
        )
        try:
            ids = [int(value) for value in attachment_ids or []]
        except (TypeError, ValueError):
            raise UserError(refused) from None
        Attachment = self.env["ir.attachment"]
        if not ids:
            return Attachment
        tokens = [str(token or "") for token in attachment_tokens or []]
        attachments = Attachment.browse(ids)
        if len(set(ids)) != len(ids) or len(tokens) != len(ids):
            raise UserError(refused)
        if not attachments._has_attachments_ownership(tokens):
            raise UserError(refused)
        pending = attachments.sudo().filtered(
            lambda a: a.res_model == self._portal_pending_model
            and not a.res_id
            and a.create_uid == self.env.user
        )
        if len(pending) != len(ids) or self.env["mail.message"].sudo().search_count(
            [("attachment_ids", "in", ids)], limit=1
        ):
            raise UserError(refused)
        return pending

    def _portal_add_request_extras(self, partner, colleagues, attachments):
        """Attach the files with a message of the requester (as an e-mail request would
        bring them), copy the colleagues (followers), then acknowledge the request."""
        self.ensure_one()
        ticket = self.sudo()
        if attachments:
            # message_post moves the requester's pending attachments onto the ticket.
            ticket.message_post(
                body=self.env._("Files attached to the request."),
                attachment_ids=attachments.ids,
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
        """Key Users who follow all their company's requests follow the new ones (one batch)."""
        tickets = self.sudo().filtered("commercial_partner_id")
        if not tickets:
            return
        customers = tickets.commercial_partner_id
        followers = customers.support_key_user_ids.filtered("support_follow_all")
        tickets._support_subscribe(
            {
                ticket.id: followers.filtered(
                    lambda p, t=ticket: p.commercial_partner_id == t.commercial_partner_id
                ).ids
                for ticket in tickets
            }
        )

    def _notify_get_recipients(self, message, msg_vals=False, **kwargs):
        """A contact who followed all of the customer's requests as a Key User is told no
        more of a colleague's request once they no longer read it (not a Key User today, nor
        the invoice contact: ``_is_support_request_reader``), unless the message names them."""
        recipients = super()._notify_get_recipients(message, msg_vals=msg_vals, **kwargs)
        shared = [r["id"] for r in recipients if r.get("share")]
        if len(self) != 1 or not shared:
            return recipients
        partners = self.env["res.partner"].sudo().browse(shared).filtered("support_follow_all")
        named = set((msg_vals or {}).get("partner_ids") or message.partner_ids.ids)
        ticket = self.sudo()
        stale = {
            partner.id
            for partner in partners
            if partner != ticket.partner_id
            and partner.id not in named
            and not partner._is_support_request_reader()
        }
        return [r for r in recipients if r["id"] not in stale] if stale else recipients


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
