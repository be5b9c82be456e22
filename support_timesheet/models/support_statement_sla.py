"""The monthly statement counts the service level targets met in its month: requests answered
in time (of those received in the month) and resolved in time (of those resolved in it)."""

from datetime import datetime, time, timedelta

from odoo import models
from odoo.fields import Domain


class SupportStatement(models.Model):
    _inherit = "support.statement"

    def _statement_sla_values(self, start, end):
        """``{'answered': (met, of), 'resolved': (met, of)}`` for the statement's customer and
        company in the month from ``start`` to ``end`` (dates), two grouped reads."""
        self.ensure_one()
        Ticket = self.env["support.ticket"].sudo()
        month_from = datetime.combine(start, time.min)
        month_to = datetime.combine(end + timedelta(days=1), time.min)
        base = (
            Domain("commercial_partner_id", "=", self.partner_id.id)
            & Domain("company_id", "=", self.company_id.id)
            & Domain("is_cancelled", "=", False)
        )
        result = {}
        for key, date_field, state_field in (
            ("answered", "create_date", "sla_response_state"),
            ("resolved", "date_resolved", "sla_resolution_state"),
        ):
            counts = dict(
                Ticket._read_group(
                    base
                    & Domain(date_field, ">=", month_from)
                    & Domain(date_field, "<", month_to)
                    & Domain(state_field, "in", ("met", "breached")),
                    [state_field],
                    ["__count"],
                )
            )
            result[key] = (counts.get("met", 0), sum(counts.values()))
        return result

    def _statement_values(self):
        values = super()._statement_values()
        values["sla"] = self._statement_sla_values(values["date_start"], values["date_end"])
        return values
