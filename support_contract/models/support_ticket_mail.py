"""Requests by e-mail: the support alias, replies, the reopen window and tickets to review.

Odoo's mail gateway does the work (`mail.thread.message_process` routes an e-mail to the
company's support alias or to the ticket it answers); this file only says what a support
ticket makes of it.
"""

import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import (
    email_normalize,
    html2plaintext,
    is_html_empty,
    parse_contact_from_email,
)
from odoo.tools.mail import unfold_references

INTAKE_CHANNELS = [("backend", "Support Team"), ("email", "E-mail"), ("portal", "Portal")]
# Files a request may not carry, whatever their size (programs and scripts).
FORBIDDEN_EXTENSIONS = {
    ".exe",
    ".com",
    ".bat",
    ".cmd",
    ".msi",
    ".scr",
    ".pif",
    ".vbs",
    ".vbe",
    ".js",
    ".jse",
    ".wsf",
    ".ps1",
    ".jar",
    ".dll",
    ".sh",
    ".apk",
}
DEFAULT_MAX_ATTACHMENT_MB = 10
# Senders the desk never writes back to (delivery systems and no-reply robots).
NO_REPLY_LOCALPARTS = {
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
}
# A ticket reference quoted in a subject, e.g. SUP/2026/00042 (the sequence's shape).
TICKET_REF = re.compile(r"\b[A-Z]{2,}/\d{4}/\d+\b")


class SupportTicket(models.Model):
    _inherit = "support.ticket"
    _primary_email = "email_from"

    email_from = fields.Char(
        string="Sender Address", help="The address the request came from (e-mail requests)."
    )
    intake_channel = fields.Selection(
        INTAKE_CHANNELS, string="Received Through", default="backend", readonly=True, copy=False
    )
    review_note = fields.Text(
        string="To Review",
        copy=False,
        tracking=True,
        help="Why this request needs a consultant's look before it is handled.",
    )
    parent_ticket_id = fields.Many2one(
        "support.ticket",
        string="Follows Up On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The resolved request this one continues (a reply after the reopen window).",
    )

    def _support_protected_fields(self):
        """Where a request came from and what it follows up on are recorded by the server."""
        return super()._support_protected_fields() | {"intake_channel", "parent_ticket_id"}

    # --- Settings read from the ticket's company ---------------------------------------------
    def _support_reopen_deadline(self):
        """Until when a reply reopens this resolved ticket (None: it is not resolved)."""
        self.ensure_one()
        if not self.is_closed or not self.date_resolved:
            return None
        return self.date_resolved + timedelta(days=self.company_id.support_reopen_days)

    def _support_can_reopen(self):
        self.ensure_one()
        deadline = self._support_reopen_deadline()
        return bool(deadline) and fields.Datetime.now() <= deadline

    @api.model
    def _support_open_stage(self):
        """The stage a reopened ticket goes back to: the first open stage after New."""
        stages = self.env["support.ticket.stage"].search(
            [("is_closed", "=", False), ("is_cancelled", "=", False)]
        )
        return stages[1:2] or stages[:1]

    def _support_reopen(self, author=None):
        """Move resolved tickets back to an open stage (the outcome is cleared: decided afresh)."""
        stage = self._support_open_stage()
        for ticket in self:
            ticket.write({"stage_id": stage.id})
            ticket.message_post(
                body=self.env._(
                    "Reopened by %(author)s within %(days)s days of its resolution.",
                    author=(author or self.env.user.partner_id).display_name,
                    days=ticket.company_id.support_reopen_days,
                ),
                subtype_xmlid="mail.mt_note",
            )

    # --- Review -------------------------------------------------------------------------------
    def _support_add_review_note(self, note):
        for ticket in self:
            ticket.review_note = "\n".join(filter(None, [ticket.review_note, note]))

    def action_mark_reviewed(self):
        """The consultant has looked at the request: clear the review note and the flag."""
        if not self.env.user.has_group("support_contract.group_support_user"):
            raise UserError(self.env._("Only the support team can mark a request as reviewed."))
        self.write({"review_note": False, "is_requester_to_confirm": False})
        return True

    # --- Attachments --------------------------------------------------------------------------
    @api.model
    def _support_attachment_max_size(self):
        """Largest attachment a request accepts, in bytes (system parameter, in MB)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("support_contract.attachment_max_mb", DEFAULT_MAX_ATTACHMENT_MB)
        )
        try:
            return int(float(value) * 1024 * 1024)
        except (TypeError, ValueError):
            return DEFAULT_MAX_ATTACHMENT_MB * 1024 * 1024

    @api.model
    def _support_attachment_type_refusal(self, name):
        """Why a file's type is refused on a request, on every channel (translated), or False:
        programs and scripts."""
        extension = os.path.splitext(name or "")[1].lower()
        if extension in FORBIDDEN_EXTENSIONS:
            return self.env._(
                "%(name)s was refused: files of type %(ext)s are not accepted.",
                name=name,
                ext=extension,
            )
        return False

    @api.model
    def _support_attachment_refusal(self, name, size):
        """Why a file of an e-mail is refused (translated), or False when it is accepted: its
        type, or its size over the e-mail intake's limit."""
        refusal = self._support_attachment_type_refusal(name)
        if refusal:
            return refusal
        limit = self._support_attachment_max_size()
        if size > limit:
            return self.env._(
                "%(name)s was refused: it is %(size).1f MB, more than the %(limit).1f MB allowed.",
                name=name,
                size=size / 1024 / 1024,
                limit=limit / 1024 / 1024,
            )
        return False

    @api.model
    def _support_filter_mail_attachments(self, msg_dict):
        """Drop the refused attachments of an incoming e-mail; return them as ``(name, size)``
        (the reasons: ``_support_attachment_refusal``)."""
        kept, refused = [], []
        for attachment in msg_dict.get("attachments") or []:
            name, content = attachment[0], attachment[1]
            size = len(content.encode() if isinstance(content, str) else content or b"")
            if self._support_attachment_refusal(name, size):
                refused.append((name, size))
            else:
                kept.append(attachment)
        msg_dict["attachments"] = kept
        return refused

    def _support_refusal_notes(self, refused):
        return [self._support_attachment_refusal(name, size) for name, size in refused]

    # --- Telling the sender what went wrong with their e-mail --------------------------------
    def _support_sender_lang(self, partner=None):
        """The language of the error mail: the sender's (default: the requester) when the
        contact is known, else the company's."""
        self.ensure_one()
        partner = (partner or self.partner_id).sudo()
        return partner.lang or self.sudo().company_id.partner_id.lang or "en_US"

    def _support_sender_problem_lines(self, problems):
        """What went wrong with the sender's e-mail, in the reader's language (the rendering
        language of the mail template). Only what the sender sent: never what the desk found
        out about other customers or other requests."""
        lines = []
        if problems.get("no_subject"):
            lines.append(self.env._("Your e-mail had no subject."))
        if problems.get("no_text"):
            lines.append(
                self.env._(
                    "Your e-mail had no text: please reply to this e-mail and describe what you "
                    "need, so that we can handle your request."
                )
            )
        lines += self._support_refusal_notes(problems.get("refused") or [])
        if problems.get("refused"):
            lines.append(
                self.env._(
                    "Refused files were not added to your request: send them smaller, in "
                    "another format, or ask us for another way."
                )
            )
        return lines

    def _support_sender_problem_subject(self):
        self.ensure_one()
        return self.env._("About your e-mail to our support: %(ref)s", ref=self.number or "")

    @api.model
    def _support_sender_is_answerable(self, msg_dict, partner):
        """Whether the desk may write back to the sender of an incoming e-mail. Never to
        automated mail (auto-replies, lists, bounces), to the company's own addresses and
        aliases, to its people, to a reply to one of its own automatic answers, nor twice
        to the same sender within Odoo's loop window (no ping-pong)."""
        email = email_normalize(msg_dict.get("email_from") or "")
        if not partner or not email or self.env.context.get("support_mail_automated"):
            return False
        if email.partition("@")[0] in NO_REPLY_LOCALPARTS:
            return False
        Users = self.env["res.users"].sudo()
        if any(not user.share for user in partner.sudo().user_ids) or Users.search_count(
            [("share", "=", False), ("partner_id.email_normalized", "=", email)], limit=1
        ):
            return False
        companies = self.env["res.company"].sudo().search([])
        own = set(companies.partner_id.mapped("email_normalized"))
        if email in own or self.env["mail.alias.domain"].sudo()._find_aliases([email]):
            return False
        Message = self.env["mail.message"].sudo()
        references = unfold_references(msg_dict.get("references") or "") + [
            msg_dict.get("in_reply_to") or ""
        ]
        references = [ref for ref in references if ref]
        if references and Message.search_count(
            [
                ("message_id", "in", references),
                ("message_type", "=", "auto_comment"),
                ("model", "=", self._name),
            ],
            limit=1,
        ):
            return False
        minutes = int(
            self.env["ir.config_parameter"].sudo().get_param("mail.gateway.loop.minutes", 120)
        )
        return not Message.search_count(
            [
                ("model", "=", self._name),
                ("message_type", "=", "auto_comment"),
                ("partner_ids", "in", partner.ids),
                ("create_date", ">=", fields.Datetime.now() - timedelta(minutes=minutes)),
            ],
            limit=1,
        )

    def _support_answer_sender(self, msg_dict, problems):
        """Write back to the sender of an e-mail that had a problem (no subject, no text,
        refused files): mail template ``mail_template_sender_problem``, in the sender's
        language, with Odoo's auto-reply headers. The consultant's review note stays."""
        self.ensure_one()
        if not any(problems.values()):
            return
        ticket = self.sudo()
        partner = self.env["res.partner"].sudo().browse(msg_dict.get("author_id") or [])
        partner = partner or ticket.partner_id
        if not ticket._support_sender_is_answerable(msg_dict, partner):
            return
        template = self.env.ref(
            "support_contract.mail_template_sender_problem", raise_if_not_found=False
        )
        if not template:
            return
        ticket = ticket.with_user(self.env.ref("base.user_root"))
        template = template.with_context(lang=ticket._support_sender_lang(partner))
        render = {"problems": problems}
        body = template._render_field("body_html", ticket.ids, add_context=render)[ticket.id]
        subject = template._render_field("subject", ticket.ids, add_context=render)[ticket.id]
        ticket.message_post(
            body=body,
            subject=subject,
            author_id=ticket.company_id.partner_id.id,
            message_type="auto_comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=partner.ids,
            notify_skip_followers=True,
            mail_headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        )

    # --- Requester of an e-mail ---------------------------------------------------------------
    @api.model
    def _support_find_requester(self, email_from, company):
        """The contact an e-mail comes from, and why it needs a consultant's look.

        :return: ``(partner, to_confirm, note)``; a new contact (with no customer) is created
            when the address is unknown or matches contacts of several customers.
        """
        Partner = self.env["res.partner"].sudo()
        name, normalized = parse_contact_from_email(email_from or "")
        if not normalized:
            return Partner, True, self.env._("The e-mail has no sender address.")
        matches = Partner.search(
            [
                ("email_normalized", "=", normalized),
                "|",
                ("company_id", "=", False),
                ("company_id", "=", company.id),
            ],
            order="id",
        )
        # People of the support company itself are not customers' contacts.
        matches = matches.filtered(
            lambda p: p.commercial_partner_id != company.partner_id
            and not any(not user.share for user in p.user_ids)
        )
        customers = matches.commercial_partner_id
        if len(customers) == 1:
            attached = matches.filtered(lambda p: p.parent_id or p.is_company)
            partner = (attached or matches)[0]
            if partner.parent_id or partner.is_company:
                return partner, False, False
            return (
                partner,
                True,
                self.env._(
                    "The sender %(email)s is not a contact of a customer: attach the request to "
                    "the right customer.",
                    email=normalized,
                ),
            )
        if len(customers) > 1:
            note = self.env._(
                "The sender %(email)s matches contacts of several customers (%(customers)s): "
                "attach the request to the right customer.",
                email=normalized,
                customers=", ".join(customers.mapped("name")),
            )
        else:
            note = self.env._(
                "The sender %(email)s is not a known contact: attach the request to the right "
                "customer.",
                email=normalized,
            )
        partner = Partner.create(
            {
                "name": name or normalized,
                "email": normalized,
                "lang": company.partner_id.lang or self.env.lang,
                "company_id": False,
            }
        )
        return partner, True, note

    @api.model
    def _support_category_from_subject(self, subject, lang):
        """The service category an e-mail names in its subject, as ``[code]`` or by its name
        (English or the company's language); nothing when none or several match: no silent
        default category."""
        text = (subject or "").casefold()
        if not text:
            return self.env["support.service.category"]
        categories = self.env["support.service.category"].sudo().search([])
        found = categories.filtered(lambda c: f"[{c.code}]".casefold() in text)
        if not found:
            names = {}
            for code in {"en_US", lang} - {None, False}:
                for category in categories.with_context(lang=code):
                    names.setdefault(category, set()).add(category.name.casefold())
            found = categories.filtered(
                lambda c: any(re.search(rf"\b{re.escape(n)}\b", text) for n in names[c])
            )
        return found if len(found) == 1 else self.env["support.service.category"]

    @api.model
    def _support_environment_from_mail(self, subject, body, customer):
        """The environment of ``customer`` an e-mail names (its name or its URL's host, in the
        subject or the text); nothing when none or several match."""
        Environment = self.env["support.environment"]
        if not customer:
            return Environment
        environments = Environment.sudo().search([("partner_id", "=", customer.id)])
        text = f"{subject or ''}\n{html2plaintext(body or '')}".casefold()

        def named(environment):
            names = {environment.name.casefold()}
            host = urlsplit(environment.url or "").hostname
            if host:
                names.add(host.casefold())
            return any(re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", text) for n in names)

        found = environments.filtered(named)
        return found if len(found) == 1 else Environment

    def _support_foreign_reference_note(self, subject, customer):
        """A note when the subject quotes the reference of another customer's request."""
        refs = set(TICKET_REF.findall(subject or ""))
        if not refs:
            return False
        quoted = self.sudo().search([("number", "in", list(refs))])
        foreign = quoted.filtered(lambda t: t.commercial_partner_id != customer)
        if not foreign:
            return False
        return self.env._(
            "The e-mail quotes %(refs)s, which does not belong to this customer: it was not "
            "added to that request.",
            refs=", ".join(foreign.mapped("number")),
        )

    # --- Mail gateway -------------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A new request by e-mail: title from the subject, description from the body, the
        requester from the sender's address. Anything unclear is noted for review."""
        values = dict(custom_values or {})
        foreign = self.sudo().browse(values.pop("support_foreign_ticket_id", False))
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        values["company_id"] = company.id
        notes = []
        subject = (msg_dict.get("subject") or "").strip()
        body = msg_dict.get("body") or ""
        if not subject:
            notes.append(self.env._("The e-mail has no subject."))
        problems = set()
        if is_html_empty(body) or not html2plaintext(body).strip():
            problems.add("no_text")
            notes.append(self.env._("The e-mail has no text."))
        partner, to_confirm, note = self._support_find_requester(
            msg_dict.get("email_from"), company
        )
        if note:
            notes.append(note)
        if partner and not msg_dict.get("author_id"):
            msg_dict["author_id"] = partner.id
        notes.append(self._support_foreign_reference_note(subject, partner.commercial_partner_id))
        if foreign:
            notes.append(
                self.env._(
                    "The e-mail answers %(ref)s, a request of another customer: it was not added "
                    "there.",
                    ref=foreign.number,
                )
            )
        refused = self._support_filter_mail_attachments(msg_dict)
        notes += self._support_refusal_notes(refused)
        category = (
            values.pop("category_id", False)
            or self._support_category_from_subject(subject, company.partner_id.lang).id
        )
        values.update(
            {
                "name": subject or self.env._("(no subject)"),
                "description": body,
                "partner_id": partner.id,
                "email_from": msg_dict.get("email_from"),
                "intake_channel": "email",
                "is_requester_to_confirm": to_confirm,
                "review_note": "\n".join(filter(None, notes)) or False,
                "user_id": False,
            }
        )
        if category:
            values["category_id"] = category
        if "environment_id" not in values and not to_confirm:
            environment = self._support_environment_from_mail(
                subject, body, partner.commercial_partner_id
            )
            if environment:
                values["environment_id"] = environment.id
        ticket = super().message_new(msg_dict, custom_values=values)
        ticket._support_answer_sender(
            msg_dict,
            {"no_subject": not subject, "no_text": "no_text" in problems, "refused": refused},
        )
        return ticket

    def message_update(self, msg_dict, update_vals=None):
        """A reply by e-mail: refused attachments are noted for review and the sender is told
        (a reply to a resolved ticket is handled in _message_post_after_hook, as a portal reply
        is)."""
        refused = self._support_filter_mail_attachments(msg_dict)
        res = super().message_update(msg_dict, update_vals=update_vals)
        if refused:
            self._support_add_review_note("\n".join(self._support_refusal_notes(refused)))
            self._support_answer_sender(msg_dict, {"refused": refused})
        return res

    def _message_post_after_hook(self, message, msg_vals):
        """A customer's reply (e-mail or portal) to a resolved ticket within the reopen window
        reopens it. Later e-mail replies never get here: they start a new ticket (mail_thread)."""
        res = super()._message_post_after_hook(message, msg_vals)
        author = message.sudo().author_id
        if (
            self.is_closed
            and author
            and message.message_type in ("email", "comment")
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and author != self.sudo().company_id.partner_id
            and not any(not user.share for user in author.user_ids)
            and self._support_can_reopen()
        ):
            self.sudo()._support_reopen(author)
        return res

    @api.model
    def _support_reply_route(self, thread_id, message_dict):
        """Where a reply to ticket `thread_id` goes: the ticket, or a new ticket (the ticket is
        resolved past the reopen window, or the sender is a contact of another customer).
        ``message_dict`` is read, never changed: other models' routes receive it too (a new
        ticket's message has no parent: Odoo drops it when it processes a new-record route).

        :return: ``(thread_id, custom_values)``; thread_id False means a new ticket
        """
        ticket = self.sudo().browse(thread_id).exists()
        if not ticket:
            return thread_id, None
        author = self.env["res.partner"].sudo().browse(message_dict.get("author_id") or [])
        if not author and message_dict.get("email_from"):
            # Odoo's routing names the author only for mail to an alias; a reply to the
            # catchall (the reply-to of the ticket's notices) has none yet: find the one Odoo
            # will record (the ticket's followers first).
            author = ticket._partner_find_from_emails_single(
                [message_dict["email_from"]], no_create=True
            )
        internal = any(not user.share for user in author.user_ids)
        values = {"company_id": ticket.company_id.id}
        # Another customer's contact (the ticket's customer a company or a private person):
        # a ticket of its own.
        if author and not internal and author.commercial_partner_id != ticket.commercial_partner_id:
            values["support_foreign_ticket_id"] = ticket.id
            return False, values
        if ticket.is_closed and not internal and not ticket._support_can_reopen():
            values["parent_ticket_id"] = ticket.id
            values["category_id"] = ticket.category_id.id
            return False, values
        return thread_id, None

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        for ticket in tickets:
            if ticket.parent_ticket_id:
                ticket.message_post(
                    body=Markup(self.env._("This request follows up on %(ticket)s."))
                    % {
                        "ticket": ticket.parent_ticket_id._get_html_link(
                            title=ticket.parent_ticket_id.number
                        )
                    },
                    subtype_xmlid="mail.mt_note",
                )
        # The requester follows the request: answers from the chatter reach them by e-mail.
        tickets._support_subscribe({ticket.id: ticket.partner_id.ids for ticket in tickets})
        tickets.filtered(lambda t: t.intake_channel != "backend")._support_assign()
        return tickets

    def _support_subscribe(self, partner_ids_by_ticket):
        """Make partners follow tickets, all tickets at once (a few queries whatever their
        number): ``{ticket id: partner ids}``. Odoo's default subtypes (customers get no
        internal ones); existing followers are kept as they are."""
        wanted = {tid: set(pids) for tid, pids in partner_ids_by_ticket.items() if pids}
        if not wanted:
            return
        Followers = self.env["mail.followers"].sudo().with_context(default_partner_id=False)
        new, _existing = Followers._add_default_followers(
            self._name, list(wanted), list(set().union(*wanted.values())), check_existing=True
        )
        Followers.create(
            [
                dict(values, res_id=res_id)
                for res_id, values_list in new.items()
                for values in values_list
                if values["partner_id"] in wanted[res_id]
            ]
        )

    # --- Assignment -----------------------------------------------------------------------------
    def _support_default_consultants(self):
        """The consultant each new request goes to: the covering agreement's, another
        agreement of the customer in force today (``_get_in_force_domain``), else the
        customer's; none means the team queue.

        :return: ``{ticket id: res.users}`` (one search for all the tickets)
        """
        tickets = self.sudo()
        Agreement = self.env["support.agreement"].sudo()
        agreements = Agreement.search(
            Agreement._get_in_force_domain()
            & Domain("partner_id", "in", tickets.commercial_partner_id.ids)
            & Domain("company_id", "in", tickets.company_id.ids)
            & Domain("consultant_id", "!=", False),
            order="date_start, id",
        )
        result = {}
        for ticket in tickets:
            own = agreements.filtered(
                lambda a, t=ticket: a.partner_id == t.commercial_partner_id
                and a.company_id == t.company_id
            )
            covering = own.filtered(lambda a, t=ticket: a == t.coverage_agreement_id)
            result[ticket.id] = (covering or own)[
                :1
            ].consultant_id or ticket.commercial_partner_id.support_consultant_id
        return result

    def _support_queue_user(self):
        """Who watches the team queue of the ticket's company: its queue manager, else a
        Support Manager of the company."""
        self.ensure_one()
        company = self.company_id.sudo()
        if company.support_queue_user_id:
            return company.support_queue_user_id
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("group_ids", "in", self.env.ref("support_contract.group_support_manager").id),
                    ("company_ids", "in", company.id),
                    ("share", "=", False),
                ],
                order="id",
                limit=1,
            )
        )

    def _support_assign(self):
        """New requests from e-mail or the portal: assign the default consultant (else leave
        the ticket in the unassigned queue) and schedule an activity with a deadline for who
        answers it, so that no request sits unseen. In batch: a query per consultant or
        company, not per ticket."""
        tickets = self.sudo()
        if not tickets:
            return
        activity_type = self.env.ref("support_contract.mail_activity_type_new_request")
        consultants = tickets._support_default_consultants()
        to_assign = tickets.filtered(lambda t: not t.user_id and consultants[t.id])
        for consultant, group in to_assign.grouped(lambda t: consultants[t.id]).items():
            group.user_id = consultant
        queue_users = {
            company: tickets.filtered(lambda t, c=company: t.company_id == c)[
                :1
            ]._support_queue_user()
            for company in tickets.filtered(lambda t: not t.user_id).company_id
        }
        channels = dict(self._fields["intake_channel"]._description_selection(self.env))
        deadline = activity_type._get_date_deadline()
        model_id = self.env["ir.model"]._get(self._name).id
        vals_list = []
        for ticket in tickets:
            responsible = ticket.user_id or queue_users.get(ticket.company_id)
            if not responsible:
                continue
            vals_list.append(
                {
                    "activity_type_id": activity_type.id,
                    "summary": activity_type.summary,
                    "automated": True,
                    "note": self.env._(
                        "New request from %(requester)s (%(channel)s): answer the customer.",
                        requester=ticket.partner_id.display_name,
                        channel=channels.get(ticket.intake_channel),
                    ),
                    "date_deadline": deadline,
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "user_id": responsible.id,
                }
            )
        self.env["mail.activity"].sudo().create(vals_list)
