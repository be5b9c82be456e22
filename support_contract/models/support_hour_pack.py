from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.misc import format_date

PACK_STATES = [
    ("upcoming", "Not Yet Valid"),
    ("active", "Active"),
    ("exhausted", "Used Up"),
    ("expired", "Expired"),
]


class SupportHourPack(models.Model):
    _name = "support.hour.pack"
    _description = "Prepaid Support Hour Pack"
    _inherit = ("mail.thread",)
    _order = "date_start, id"

    name = fields.Char(string="Reference", required=True, default="/", copy=False)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
    )
    hours = fields.Float(required=True, tracking=True)
    date_start = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(required=True, tracking=True)
    hours_used = fields.Float(compute="_compute_hours_used", store=True)
    hours_remaining = fields.Float(compute="_compute_hours_used", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        PACK_STATES,
        compute="_compute_state",
        search="_search_state",
        help="Valid between its dates while hours remain.",
    )

    @api.depends("hours")
    def _compute_hours_used(self):
        """Consumption is recorded by support_timesheet, which extends this compute."""
        for pack in self:
            pack.hours_used = 0.0
            pack.hours_remaining = pack.hours

    @api.depends("date_start", "date_end", "hours_remaining")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for pack in self:
            if pack.date_end and pack.date_end < today:
                pack.state = "expired"
            elif pack.date_start and pack.date_start > today:
                pack.state = "upcoming"
            elif pack.hours_remaining <= 0:
                pack.state = "exhausted"
            else:
                pack.state = "active"

    def _search_state(self, operator, value):
        if operator not in ("in", "="):
            return NotImplemented
        values = {value} if isinstance(value, str) else set(value)
        today = fields.Date.context_today(self)
        domains = {
            "expired": Domain("date_end", "<", today),
            "upcoming": Domain("date_start", ">", today),
            "exhausted": Domain("date_start", "<=", today)
            & Domain("date_end", ">=", today)
            & Domain("hours_remaining", "<=", 0),
            "active": Domain("date_start", "<=", today)
            & Domain("date_end", ">=", today)
            & Domain("hours_remaining", ">", 0),
        }
        return Domain.OR(domains[v] for v in values if v in domains)

    @api.constrains("hours")
    def _check_hours(self):
        for pack in self:
            if pack.hours <= 0:
                raise ValidationError(
                    self.env._(
                        "Support pack %(pack)s: the number of hours must be positive.",
                        pack=pack.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for pack in self:
            if pack.date_end < pack.date_start:
                raise ValidationError(
                    self.env._(
                        "Support pack %(pack)s: the end of validity %(end)s is before its start "
                        "%(start)s.",
                        pack=pack.name,
                        end=format_date(self.env, pack.date_end),
                        start=format_date(self.env, pack.date_start),
                    )
                )

    @api.constrains("partner_id")
    def _check_partner(self):
        self.env["res.partner"]._support_check_customer(self)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("support.hour.pack") or "/"
        return super().create(vals_list)
