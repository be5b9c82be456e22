"""What the fixed fees delivered, per customer environment, on the monthly statement: the
patches of the month, the covered requests and their hours, and what that covered work is
worth at the customer's hourly rate (the invoices' price rule); and the open upstream bugs."""

from collections import defaultdict

from odoo import models

from odoo.addons.support_contract.models.support_ticket import UPSTREAM_BUG_OPEN_STATES


class SupportStatement(models.Model):
    _inherit = "support.statement"

    def _statement_values(self):
        values = super()._statement_values()
        values.update(self._statement_environment_values(values))
        return values

    def _statement_environment_values(self, values):
        """``environments``: one row per environment of the customer with patches or covered
        requests this month (``environment``, ``patches``, ``requests``, ``hours``,
        ``value``, ``currency``); ``upstream_bugs``: the customer's requests whose bug
        registered upstream is still open."""
        self.ensure_one()
        env = self.sudo().env
        customer, company = values["customer"], values["company"]
        start, end = values["date_start"], values["date_end"]
        environments = (
            env["support.environment"]
            .with_context(active_test=False)
            .search([("partner_id", "=", customer.id), ("company_id", "=", company.id)])
        )
        patches = env["support.patch.record"].search(
            [
                ("environment_id", "in", environments.ids),
                ("date", ">=", start),
                ("date", "<=", end),
            ],
            order="date, id",
        )
        patches_by_env = patches.grouped("environment_id")
        # The covered work and its value: the one home the portal's environment page reads too.
        work = environments._support_covered_work(start, end)
        covered = defaultdict(list)
        for row in values["requests"]:
            ticket = row["ticket"]
            if ticket.environment_id and ticket.coverage == "covered":
                covered[ticket.environment_id].append(row)
        rows = []
        for environment in environments:
            env_patches = patches_by_env.get(environment, env["support.patch.record"])
            requests = covered.get(environment, [])
            if not env_patches and not requests:
                continue
            rows.append(
                {
                    "environment": environment,
                    "patches": env_patches,
                    "downtime": sum(env_patches.mapped("downtime_minutes")),
                    "requests": requests,
                    "hours": sum(work[environment]["hours"].values()),
                    "value": work[environment]["value"],
                    "currency": work[environment]["currency"],
                }
            )
        upstream_bugs = env["support.ticket"].search(
            [
                ("commercial_partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                ("upstream_bug_state", "in", UPSTREAM_BUG_OPEN_STATES),
            ],
            order="request_date, id",
        )
        return {"environments": rows, "upstream_bugs": upstream_bugs}
