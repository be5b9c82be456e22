"""Customer environments in the portal: a Key User's view of what the patch and maintenance
fees deliver. What a user may see comes from the record rules (Key Users of the customer)."""

from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.fields import Domain
from odoo.tools.misc import format_date


class SupportEnvironment(models.Model):
    _inherit = "support.environment"

    def _portal_last_patches(self):
        """{environment: its latest patch record}, with one search (the caller's rights)."""
        records = self.env["support.patch.record"].search(
            [("environment_id", "in", self.ids)], order="date desc, id desc"
        )
        last = {}
        for record in records:
            last.setdefault(record.environment_id, record)
        return last

    def _portal_open_ticket_domain(self):
        return [
            ("environment_id", "in", self.ids),
            ("is_closed", "=", False),
            ("is_cancelled", "=", False),
        ]

    def _portal_list_values(self):
        """What /my/support/environments shows for the environments of ``self``."""
        counts = dict(
            self.env["support.ticket"]._read_group(
                self._portal_open_ticket_domain(), ["environment_id"], ["__count"]
            )
        )
        last = self._portal_last_patches()
        return {
            "environments": self,
            "last_patches": last,
            "open_counts": {env: counts.get(env, 0) for env in self},
        }

    def _portal_page_values(self):
        """What /my/support/environments/<id> shows: the environment, its patch history, its
        open requests and the next planned patch."""
        self.ensure_one()
        Ticket = self.env["support.ticket"]
        open_tickets = Ticket.search(self._portal_open_ticket_domain(), order="request_date desc")
        planned = open_tickets.filtered("planned_date_start").sorted("planned_date_start")[:1]
        return {
            "environment": self,
            "patches": self.env["support.patch.record"].search([("environment_id", "=", self.id)]),
            "open_tickets": open_tickets,
            "next_patch": planned,
            "next_patch_start": self._format_window_start(planned.planned_date_start, self.tz),
            "covered_work": self._portal_covered_work(),
            **self._portal_fee_values(),
        }

    def _portal_fee_values(self):
        """The agreements covering this environment today and its fee lines running today, by
        the rules of the patch job and the fee run: agreements in force with their prerequisite
        met (``_get_in_force_domain``, ``_filter_prerequisite_met``), lines in force
        (the fee line's ``_get_in_force_domain``). The page names no ended or lapsed agreement
        and no retired line. Read by whoever may read the environment (checked first)."""
        self.ensure_one()
        self.check_access("read")
        today = fields.Date.context_today(self)
        in_force = self.env["support.agreement"]._get_in_force_domain(today)
        FeeLine = self.env["support.agreement.fee.line"].sudo()
        fee_lines = FeeLine.search(
            Domain("environment_id", "=", self.id)
            & Domain("agreement_id", "any", in_force)
            & FeeLine._get_in_force_domain(today)
        )
        environment = self.sudo()
        covering = (
            environment.agreement_ids.filtered_domain(in_force) | fee_lines.agreement_id
        )._filter_prerequisite_met(today)
        return {
            "covering_agreements": environment.agreement_ids & covering,
            "fee_lines": fee_lines.filtered(lambda line: line.agreement_id in covering),
        }

    def _portal_covered_work(self, months=3):
        """What the fees delivered on this environment, this month so far and the months
        before: the covered hours and what they are worth at the customer's rate, from the
        statement's own rule (``_support_covered_work``). Read by whoever may read the
        environment (checked first)."""
        self.ensure_one()
        self.check_access("read")
        environment = self.sudo()
        first = fields.Date.context_today(self).replace(day=1)
        rows = []
        for back in range(months):
            start = first - relativedelta(months=back)
            end = start + relativedelta(months=1, days=-1)
            work = environment._support_covered_work(start, end)[environment]
            rows.append(
                {
                    "month": format_date(self.env, start, date_format="MMMM y"),
                    "requests": len(work["hours"]),
                    "hours": sum(work["hours"].values()),
                    "value": work["value"],
                    "currency": work["currency"],
                }
            )
        return rows
