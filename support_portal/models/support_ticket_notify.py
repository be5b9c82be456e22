"""Customer notifications of support requests: mail templates posted with subtypes, so the
followers (the requester, colleagues copied, Key Users following all their company's requests)
choose what they receive. Rendered in the requester's language, with a portal link."""

from odoo import api, models
from odoo.tools import email_split

# kind: (mail template, subtype)
NOTIFICATIONS = {
    "received": (
        "support_portal.mail_template_ticket_received",
        "support_portal.mt_ticket_received",
    ),
    "billable": (
        "support_portal.mail_template_ticket_billable",
        "support_portal.mt_ticket_billable",
    ),
    "approval": (
        "support_portal.mail_template_ticket_approval",
        "support_portal.mt_ticket_approval",
    ),
    "resolved": (
        "support_portal.mail_template_ticket_resolved",
        "support_portal.mt_ticket_resolved",
    ),
    # To the customer's Key Users, each in their language (_support_notify_key_users).
    "patch_planned": (
        "support_portal.mail_template_patch_planned",
        "support_portal.mt_patch_planned",
    ),
    "patch_done": (
        "support_portal.mail_template_patch_done",
        "support_portal.mt_patch_done",
    ),
}


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    # --- What a notification says -------------------------------------------------------------
    def _support_decision_text(self):
        """The decision and its reason, in the reader's language (the rendering language)."""
        self.ensure_one()
        labels = dict(self._fields["coverage"]._description_selection(self.env))
        if self.coverage_override:
            return labels.get(self.coverage, ""), self.env._(
                "Decided by our support team: %(reason)s", reason=self.coverage_override_reason
            )
        decision = self.sudo()._decide_coverage(self._prepare_coverage_values())[0]
        label = labels.get(self.coverage) or self.env._("Not decided")
        return label, decision["reason"] or self.coverage_reason or ""

    def _support_cost_lines(self):
        """What a billable request costs: the pack it draws from, the hourly rate and the
        per-request minimum (``_support_billable_terms``, as the portal quotes them)."""
        self.ensure_one()
        if self.coverage == "covered":
            return [
                self.env._(
                    "Covered by your agreement %(agreement)s: this request is not charged.",
                    agreement=self.coverage_agreement_id.display_name or "",
                )
            ]
        if self.coverage != "billable" or not self.partner_id:
            return []
        return self._support_billable_terms(
            {"agreement_id": self.coverage_agreement_id.id},
            self.category_id,
            self.partner_id,
            self.company_id,
            self.request_date,
        )["lines"]

    def _support_notification_values(self, kind):
        """Lines of a notification of `kind` (see NOTIFICATIONS), for its mail template."""
        self.ensure_one()
        ticket = self.sudo()
        label, reason = ticket._support_decision_text()
        decision = self.env._("Decision: %(label)s. %(reason)s", label=label, reason=reason)
        lines = []
        if kind == "received":
            lines = [
                self.env._(
                    "We have received your request %(ref)s: %(title)s.",
                    ref=ticket.number,
                    title=ticket.name,
                ),
                decision,
                *ticket._support_cost_lines(),
            ]
        elif kind == "billable":
            lines = [
                self.env._(
                    "The decision on your request %(ref)s changed: it is now billable.",
                    ref=ticket.number,
                ),
                decision,
                *ticket._support_cost_lines(),
            ]
        elif kind == "approval":
            lines = [
                self.env._(
                    "Work on your request %(ref)s goes beyond your prepaid hours: %(hours)s "
                    "hours wait for the approval of a Key User before they are charged.",
                    ref=ticket.number,
                    hours=f"{ticket.hours_held:g}",
                ),
                self.env._("A Key User can approve or refuse the work on the request's page."),
            ]
        elif kind == "resolved":
            outcomes = dict(self._fields["outcome"]._description_selection(self.env))
            lines = [
                self.env._(
                    "Your request %(ref)s is resolved. Outcome: %(outcome)s.",
                    ref=ticket.number,
                    outcome=outcomes.get(ticket.outcome, ""),
                ),
                decision,
                self.env._(
                    "Hours billed: %(billed)s (of %(logged)s hours logged).",
                    billed=f"{ticket.hours_billed:g}",
                    logged=f"{ticket.hours_logged:g}",
                ),
                self.env._(
                    "If the problem is not solved, reply to this e-mail or reopen the request in "
                    "the portal within %(days)s days.",
                    days=ticket.company_id.support_reopen_days,
                ),
            ]
        elif kind.startswith("patch_"):
            lines = ticket._support_patch_notice_lines(kind)
        url = ticket.get_base_url() + ticket.get_portal_url()
        if kind.startswith("patch_"):
            url = f"{ticket.get_base_url()}/my/support/environments/{ticket.environment_id.id}"
        return {"lines": lines, "url": url}

    def _support_patch_notice_lines(self, kind):
        """What the Key Users are told before (``patch_planned``) and after (``patch_done``) a
        monthly patch of an environment."""
        self.ensure_one()
        environment = self.environment_id
        patch_types = dict(self._fields["patch_type"]._description_selection(self.env))
        patch = patch_types.get(self.patch_type, "")
        if kind == "patch_planned":
            if not self.planned_date_start:
                return [
                    self.env._(
                        "The monthly patch of %(environment)s (%(patch)s) is planned this month "
                        "(%(ref)s). We will tell you the result.",
                        patch=patch,
                        environment=environment.display_name,
                        ref=self.number,
                    )
                ]
            return [
                self.env._(
                    "The monthly patch of %(environment)s (%(patch)s) is planned for %(start)s, "
                    "in its maintenance window %(window)s (%(ref)s).",
                    patch=patch,
                    environment=environment.display_name,
                    start=environment._format_window_start(self.planned_date_start, environment.tz),
                    window=environment._maintenance_window_label(),
                    ref=self.number,
                ),
                self.env._("The environment may be unavailable during the window."),
            ]
        results = dict(
            self.env["support.patch.record"]._fields["result"]._description_selection(self.env)
        )
        types = dict(
            self.env["support.patch.record"]._fields["patch_type"]._description_selection(self.env)
        )
        lines = [
            self.env._(
                "The monthly patch of %(environment)s is finished (%(ref)s).",
                environment=environment.display_name,
                ref=self.number,
            )
        ]
        for record in self.patch_record_ids:
            lines.append(
                self.env._(
                    "%(type)s: %(result)s, from %(before)s to %(after)s, %(minutes)s minutes of "
                    "downtime.",
                    type=types.get(record.patch_type, ""),
                    result=results.get(record.result, ""),
                    before=record.version_before or "-",
                    after=record.version_after or "-",
                    minutes=record.downtime_minutes,
                )
            )
        return lines

    def _support_notification_subject(self, kind):
        self.ensure_one()
        subjects = {
            "received": self.env._("Request %(ref)s received: %(title)s"),
            "billable": self.env._("Request %(ref)s is now billable: %(title)s"),
            "approval": self.env._("Request %(ref)s: your approval is needed"),
            "resolved": self.env._("Request %(ref)s resolved: %(title)s"),
            "patch_planned": self.env._("Patch planned: %(title)s"),
            "patch_done": self.env._("Patch result: %(title)s"),
        }
        return subjects[kind] % {"ref": self.number, "title": self.name}

    # --- Sending ------------------------------------------------------------------------------
    def _support_notify(self, kind):
        """Post the notification `kind` on each ticket with its subtype: the followers subscribed
        to that subtype receive it by e-mail."""
        template_xmlid, subtype_xmlid = NOTIFICATIONS[kind]
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template:
            return
        # Sent by the system: the user whose action triggers it (a customer in the portal, the
        # sender of an e-mail) is a recipient like any follower, not its author.
        system = self.env.ref("base.user_root")
        for ticket in self.sudo().with_user(system):
            # Nobody on the customer's side can receive it (e.g. bulk-created tickets).
            if not ticket.message_partner_ids.filtered(lambda p: p.partner_share and p.email):
                continue
            ticket.message_post_with_source(
                template,
                subtype_xmlid=subtype_xmlid,
                message_type="comment",
                author_id=ticket.company_id.partner_id.id,
            )

    def _support_notify_key_users(self, kind):
        """Post the notice `kind` on each ticket to the customer's Key Users today, one message
        per language, each rendered in that language."""
        template_xmlid, subtype_xmlid = NOTIFICATIONS[kind]
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template:
            return
        system = self.env.ref("base.user_root")
        for ticket in self.sudo().with_user(system):
            key_users = ticket.commercial_partner_id.support_key_user_ids.filtered("email")
            default_lang = ticket.company_id.partner_id.lang or "en_US"
            for lang, partners in key_users.grouped(lambda p, d=default_lang: p.lang or d).items():
                rendered = {
                    fname: template._render_field(fname, ticket.ids, set_lang=lang)[ticket.id]
                    for fname in ("subject", "body_html")
                }
                ticket.message_post(
                    body=rendered["body_html"],
                    subject=rendered["subject"],
                    partner_ids=partners.ids,
                    message_type="comment",
                    subtype_xmlid=subtype_xmlid,
                    author_id=ticket.company_id.partner_id.id,
                )

    def _support_patch_planned(self):
        res = super()._support_patch_planned()
        self.filtered("environment_id")._support_notify_key_users("patch_planned")
        return res

    # --- When -----------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        # The portal and the mail gateway first add the colleagues copied, then acknowledge.
        if not self.env.context.get("support_defer_ack"):
            tickets.filtered(lambda t: not t.patch_agreement_id)._support_notify("received")
        return tickets

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A request by e-mail: colleagues of the same customer in Cc follow it, then everyone
        following it gets the acknowledgement, unless the e-mail is automated (an auto-reply is
        not acknowledged: no ping-pong)."""
        ticket = super(SupportTicket, self.with_context(support_defer_ack=True)).message_new(
            msg_dict, custom_values=custom_values
        )
        customer = ticket.commercial_partner_id
        if customer and not ticket.is_requester_to_confirm:
            copied = self.env["mail.thread"]._partner_find_from_emails_single(
                email_split(msg_dict.get("cc") or ""), no_create=True
            )
            colleagues = copied.filtered(
                lambda p: p.commercial_partner_id == customer and p != ticket.partner_id
            )
            if colleagues:
                ticket.message_subscribe(partner_ids=colleagues.ids)
        if not self.env.context.get("support_mail_automated"):
            ticket._support_notify("received")
        return ticket

    def _support_coverage_snapshot(self):
        return {
            ticket.id: (ticket.coverage, ticket.is_closed, ticket.approval_state) for ticket in self
        }

    def _support_notify_changes(self, before):
        """After a change: tell the customer what costs them money, and the resolution."""
        resolved = self.filtered(lambda t: t.is_closed and not before.get(t.id, (0, True))[1])
        billable = self.filtered(
            lambda t: before.get(t.id, ("",))[0] == "covered" and t.coverage == "billable"
        )
        # Work held for a Key User's approval (the billing engine's write).
        held = self.filtered(
            lambda t: t.approval_state == "pending"
            and before.get(t.id, ("", False, "pending"))[2] != "pending"
        )
        # A resolution that makes the request billable says so in the resolution notice.
        (billable - resolved)._support_notify("billable")
        held._support_notify("approval")
        patched = resolved.filtered(lambda t: t.patch_agreement_id and t.environment_id)
        (resolved - patched)._support_notify("resolved")
        patched._support_notify_key_users("patch_done")

    def write(self, vals):
        before = self._support_coverage_snapshot()
        res = super().write(vals)
        self._support_notify_changes(before)
        return res

    def _redecide_coverage(self):
        tickets = self.sudo().exists()
        before = tickets._support_coverage_snapshot()
        res = super()._redecide_coverage()
        tickets._support_notify_changes(before)
        return res
