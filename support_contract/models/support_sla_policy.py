"""Service level targets as data: which response and resolution times, in business hours, a
ticket gets from its agreement type, priority and service category."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .support_ticket import PRIORITIES


class SupportSlaPolicy(models.Model):
    _name = "support.sla.policy"
    _description = "Support Service Level Policy"
    _order = "company_id, type_id, priority desc, category_id, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Empty: the policy applies in every company (a company's own policy wins).",
    )
    type_id = fields.Many2one(
        "support.agreement.type",
        string="Agreement Type",
        index=True,
        help="The type of the agreement that covers the ticket. Empty: requests no agreement "
        "covers (On-Demand work).",
    )
    priority = fields.Selection(PRIORITIES, help="Empty: any priority.")
    category_id = fields.Many2one(
        "support.service.category", string="Service Category", help="Empty: any category."
    )
    response_hours = fields.Float(
        string="Response Target (h)",
        required=True,
        help="Business hours from the request's arrival to the first answer the customer sees.",
    )
    resolution_hours = fields.Float(
        string="Resolution Target (h)",
        required=True,
        help="Business hours from the request's arrival to its resolution, not counting the "
        "time it waits for the customer.",
    )

    @api.constrains("response_hours", "resolution_hours")
    def _check_hours(self):
        for policy in self:
            if policy.response_hours <= 0 or policy.resolution_hours < policy.response_hours:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the response target must be positive and the "
                        "resolution target at least as long.",
                        policy=policy.name,
                    )
                )

    @api.constrains("company_id", "type_id", "priority", "category_id", "active")
    def _check_unique(self):
        for policy in self.filtered("active"):
            duplicate = self.search_count(
                [
                    ("id", "!=", policy.id),
                    ("company_id", "=", policy.company_id.id),
                    ("type_id", "=", policy.type_id.id),
                    ("priority", "=", policy.priority),
                    ("category_id", "=", policy.category_id.id),
                ],
                limit=1,
            )
            if duplicate:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: another active policy already has the same company, "
                        "agreement type, priority and category.",
                        policy=policy.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        policies = super().create(vals_list)
        self.env["support.ticket"]._sla_reapply_policies()
        return policies

    def write(self, vals):
        res = super().write(vals)
        self.env["support.ticket"]._sla_reapply_policies()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["support.ticket"]._sla_reapply_policies()
        return res

    @api.model
    def _match_policies(self, keys):
        """The most specific active policy for each key ``(company_id, type_id, priority,
        category_id)`` (ids, priority value), with one search whatever the number of keys.

        A policy matches when its type equals the key's (both empty for On-Demand work), and its
        company, priority and category are empty or equal; the one with the most criteria set
        wins (company, then category, then priority), then the oldest.
        :return: ``{key: support.sla.policy}`` (empty recordset when none matches)
        """
        keys = set(keys)
        empty = self.browse()
        if not keys:
            return {}
        policies = (
            self.sudo()
            .with_context(active_test=True)
            .search_fetch(
                [
                    ("company_id", "in", [False, *{key[0] for key in keys}]),
                    ("type_id", "in", [False, *{key[1] for key in keys if key[1]}]),
                ],
                ["company_id", "type_id", "priority", "category_id"],
                order="id",
            )
        )
        result = {}
        for company_id, type_id, priority, category_id in keys:
            candidates = [
                policy
                for policy in policies
                if policy.type_id.id == (type_id or False)
                and policy.company_id.id in (False, company_id)
                and policy.priority in (False, priority)
                and policy.category_id.id in (False, category_id)
            ]
            best = max(
                candidates,
                key=lambda p: (bool(p.company_id), bool(p.category_id), bool(p.priority), -p.id),
                default=empty,
            )
            result[company_id, type_id, priority, category_id] = self.browse(best.ids)
        return result
