"""Service level escalation: a scheduled job, in batches, warns the assignee when three
quarters of a target are used and escalates a broken target to the team's manager (an activity
and a note), each once per ticket and target (remembered on the ticket)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from .support_ticket_sla import SLA_CLOCKS

# Tickets escalated per step of the scheduled job (committed between steps in a cron).
SLA_CRON_BATCH = 200


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    # --- Escalation ---------------------------------------------------------------------------
    @api.model
    def cron_sla_escalate(self):
        """Scheduled job: warn and escalate the tickets whose targets are at risk or broken.
        Public for the scheduled action's code: run by the scheduler (superuser) or a Support
        Manager, refused to anyone else who could call it over RPC."""
        if not (self.env.su or self.env.user.has_group("support_contract.group_support_manager")):
            raise AccessError(
                self.env._("Only the scheduler or a Support Manager runs the service level job.")
            )
        self._cron_sla_escalate()
        return True

    @api.model
    def _get_sla_escalation_domain(self, clock, kind):
        """Open tickets of one clock (``response``/``resolution``) due for a warning (``warn``)
        or an escalation (``breach``) that they have not had yet."""
        now = fields.Datetime.now()
        domain = Domain("is_closed", "=", False) & Domain("is_cancelled", "=", False)
        if kind == "warn":
            return (
                domain
                & Domain(f"sla_{clock}_warned", "=", False)
                & Domain(f"sla_{clock}_state", "=", "running")
                & Domain(f"sla_{clock}_warn_date", "<=", now)
            )
        return (
            domain
            & Domain(f"sla_{clock}_escalated", "=", False)
            & Domain(f"sla_{clock}_state", "=", "breached")
        )

    @api.model
    def _cron_sla_escalate(self, batch_size=SLA_CRON_BATCH):
        Ticket = self.sudo().with_context(active_test=False)
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        # The running clocks whose deadline passed are breached now.
        now = fields.Datetime.now()
        expired = Ticket.search(
            Domain.OR(
                Domain(f"sla_{clock}_state", "=", "running")
                & Domain(f"sla_{clock}_deadline", "<", now)
                for clock in SLA_CLOCKS
            )
        )
        if expired:
            self.env.add_to_compute(self._fields["sla_response_state"], expired)
            self.env.add_to_compute(self._fields["sla_resolution_state"], expired)
            expired.flush_recordset(["sla_response_state", "sla_resolution_state"])
        for kind in ("warn", "breach"):
            for clock in SLA_CLOCKS:
                domain = self._get_sla_escalation_domain(clock, kind)
                while True:
                    tickets = Ticket.search(domain, limit=batch_size, order="id")
                    if not tickets:
                        break
                    tickets._sla_escalate(clock, kind)
                    if in_cron:
                        self.env["ir.cron"]._commit_progress(len(tickets))
        return True

    def _sla_escalate(self, clock, kind):
        """One warning (``warn``: an activity for the assignee) or escalation (``breach``: an
        activity for the team's manager and a note) per ticket and clock, remembered."""
        tickets = self.sudo()
        activity_type = self.env.ref(f"support_contract.mail_activity_type_sla_{kind}")
        queue_users = {
            company: tickets.filtered(lambda t, c=company: t.company_id == c)[
                :1
            ]._support_queue_user()
            for company in tickets.company_id
        }
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        activities = []
        for ticket in tickets:
            if kind == "warn":
                user = ticket.user_id or queue_users[ticket.company_id]
            else:
                user = queue_users[ticket.company_id] or ticket.user_id
            if not user:
                continue
            activities.append(
                {
                    "activity_type_id": activity_type.id,
                    "summary": activity_type.summary,
                    "automated": True,
                    "note": ticket._sla_escalation_text(clock, kind),
                    "date_deadline": today,
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "user_id": user.id,
                }
            )
        self.env["mail.activity"].sudo().create(activities)
        if kind == "breach":
            for ticket in tickets:
                ticket.message_post(
                    body=ticket._sla_escalation_text(clock, kind),
                    subtype_xmlid="mail.mt_note",
                    author_id=self.env.ref("base.partner_root").id,
                )
        flag = f"sla_{clock}_warned" if kind == "warn" else f"sla_{clock}_escalated"
        tickets.write({flag: True})

    def _sla_escalation_text(self, clock, kind):
        self.ensure_one()
        deadline = fields.Datetime.context_timestamp(
            self.with_context(tz=self.company_id.resource_calendar_id.tz or "UTC"),
            self[f"sla_{clock}_deadline"],
        ).strftime("%Y-%m-%d %H:%M")
        _ = self.env._
        if kind == "warn":
            if clock == "response":
                return _(
                    "Answer the customer by %(deadline)s: three quarters of the response target "
                    "are used.",
                    deadline=deadline,
                )
            return _(
                "Resolve the request by %(deadline)s: three quarters of the resolution target "
                "are used.",
                deadline=deadline,
            )
        if clock == "response":
            return _(
                "Response target breached: the customer was not answered by %(deadline)s.",
                deadline=deadline,
            )
        return _(
            "Resolution target breached: the request was not resolved by %(deadline)s.",
            deadline=deadline,
        )
