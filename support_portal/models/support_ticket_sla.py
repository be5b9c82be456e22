"""What the customer is told about service levels: by when the team answers (in business terms,
in the customer's language and time zone) on the request form, in the acknowledgement and on the
request's page; the resolution notice asks for a rating (Odoo's rating flow)."""

from odoo import api, models


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    def _support_answer_by_text(self):
        """ "We will answer you by Monday 11:30." while the response clock runs, else ''."""
        self.ensure_one()
        ticket = self.sudo()
        if ticket.date_first_response or ticket.sla_response_state not in ("running", "paused"):
            return ""
        return self.env._(
            "We will answer you by %(when)s (our business hours).",
            when=ticket._sla_customer_time(ticket.sla_response_deadline, ticket.partner_id),
        )

    def _support_resolve_by_text(self):
        self.ensure_one()
        ticket = self.sudo()
        if ticket.sla_resolution_state not in ("running", "paused"):
            return ""
        return self.env._(
            "We aim to resolve it by %(when)s (our business hours, not counting the time we wait "
            "for you).",
            when=ticket._sla_customer_time(ticket.sla_resolution_deadline, ticket.partner_id),
        )

    def _support_notification_values(self, kind):
        values = super()._support_notification_values(kind)
        if kind == "received":
            answer_by = self._support_answer_by_text()
            if answer_by:
                values["lines"].insert(1, answer_by)
        return values

    @api.model
    def _portal_decide(self, category, request_date=None):
        """The request form also says by when a request sent now is answered (normal
        priority), by the same policy and calendar as the ticket it becomes."""
        result = super()._portal_decide(category, request_date)
        values = self._portal_decision_values(category, request_date)
        decision = self.sudo()._decide_coverage([values], render=False)[0]
        agreement = self.env["support.agreement"].sudo().browse(decision["agreement_id"] or [])
        deadline = self._sla_preview_response_deadline(
            self.env["res.company"].browse(values["company_id"]), agreement.type_id, "0", category
        )
        if deadline:
            result["lines"].append(
                self.env._(
                    "Sent now, it is answered by %(when)s (our business hours).",
                    when=self._sla_customer_time(deadline),
                )
            )
        return result
