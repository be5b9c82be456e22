"""A customer's Odoo environment: what the patch and maintenance agreements keep up to date."""

import datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.misc import format_date

from odoo.addons.base.models.res_partner import _tz_get

ENVIRONMENT_TYPES = [
    ("production", "Production"),
    ("staging", "Staging"),
    ("test", "Test"),
    ("development", "Development"),
]
WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class SupportEnvironment(models.Model):
    _name = "support.environment"
    _description = "Customer Environment"
    _inherit = ("mail.thread",)
    _order = "partner_id, environment_type, name, id"

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        index=True,
        domain="[('is_company', '=', True)]",
        help="The customer company the environment belongs to.",
    )
    environment_type = fields.Selection(
        ENVIRONMENT_TYPES, string="Type", required=True, default="production", tracking=True
    )
    odoo_version = fields.Char(string="Odoo Version", tracking=True, help="e.g. 19.0")
    edition = fields.Selection(
        [("community", "Community"), ("enterprise", "Enterprise")],
        default="community",
        tracking=True,
    )
    hosting = fields.Selection(
        [
            ("partner", "Our servers"),
            ("odoo_sh", "Odoo.sh"),
            ("odoo_online", "Odoo Online"),
            ("customer", "The customer's servers"),
            ("other", "Other"),
        ],
        default="partner",
        tracking=True,
        help="Where the environment runs.",
    )
    url = fields.Char(string="URL")
    maintenance_weekday = fields.Selection(
        WEEKDAYS, string="Maintenance Day", help="Day of the week of the maintenance window."
    )
    maintenance_hour_from = fields.Float(string="Window From", default=22.0)
    maintenance_hour_to = fields.Float(string="Window To", default=24.0)
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        compute="_compute_tz",
        store=True,
        readonly=False,
        precompute=True,
        help="The customer's time zone, in which the maintenance window is given.",
    )
    agreement_ids = fields.Many2many(
        "support.agreement",
        "support_environment_agreement_rel",
        "environment_id",
        "agreement_id",
        string="Covering Agreements",
        domain="[('partner_id', '=', partner_id), ('type_id.environment_patch_type', '!=', False)]",
        help="The customer's patch agreement covers the infrastructure, its maintenance "
        "agreement the Odoo code.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)
    note = fields.Text(help="Internal notes, not shown to customers.")
    ticket_ids = fields.One2many("support.ticket", "environment_id", string="Tickets")
    open_ticket_count = fields.Integer(compute="_compute_open_ticket_count")

    @api.constrains("maintenance_hour_from", "maintenance_hour_to")
    def _check_maintenance_hours(self):
        for environment in self:
            if not (0 <= environment.maintenance_hour_from < environment.maintenance_hour_to <= 24):
                raise ValidationError(
                    self.env._(
                        "Environment %(environment)s: the maintenance window starts before it "
                        "ends, between 00:00 and 24:00.",
                        environment=environment.name,
                    )
                )

    @api.depends("partner_id")
    def _compute_tz(self):
        for environment in self:
            if not environment.tz:
                environment.tz = (
                    environment.partner_id.tz
                    or environment.company_id.partner_id.tz
                    or self.env.user.tz
                    or "Europe/Stockholm"
                )

    def _compute_open_ticket_count(self):
        counts = dict(
            self.env["support.ticket"]._read_group(
                [
                    ("environment_id", "in", self.ids),
                    ("is_closed", "=", False),
                    ("is_cancelled", "=", False),
                ],
                ["environment_id"],
                ["__count"],
            )
        )
        for environment in self:
            environment.open_ticket_count = counts.get(environment, 0)

    @api.depends("name", "environment_type")
    @api.depends_context("lang")
    def _compute_display_name(self):
        labels = dict(self._fields["environment_type"]._description_selection(self.env))
        for environment in self:
            environment.display_name = (
                f"{environment.name} ({labels.get(environment.environment_type, '')})"
            )

    # --- Constraints --------------------------------------------------------------------------
    @api.constrains("partner_id", "agreement_ids")
    def _check_agreements(self):
        self.env["res.partner"]._support_check_customer(self)
        for environment in self:
            wrong = environment.agreement_ids.filtered(
                lambda a, e=environment: a.partner_id != e.partner_id
                or not a.type_id.environment_patch_type
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Environment %(environment)s can only be covered by patch or maintenance "
                        "agreements of %(customer)s, not by %(agreements)s.",
                        environment=environment.name,
                        customer=environment.partner_id.name,
                        agreements=", ".join(wrong.mapped("display_name")),
                    )
                )

    def _support_ticket_priority(self):
        """The least priority of a request about this environment: a production environment
        raises it to High."""
        return "1" if "production" in self.mapped("environment_type") else "0"

    # --- Maintenance window -------------------------------------------------------------------
    def _maintenance_window(self, day):
        """(start, end) in UTC, naive, of the first maintenance window of this environment on
        or after ``day`` (a date), or (False, False) when it has no window."""
        self.ensure_one()
        if not self.maintenance_weekday:
            return False, False
        day += datetime.timedelta(days=(int(self.maintenance_weekday) - day.weekday()) % 7)
        zone = pytz.timezone(self.tz or "UTC")

        def at(hours):
            moment = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(
                hours=hours
            )
            return zone.localize(moment).astimezone(pytz.utc).replace(tzinfo=None)

        return at(self.maintenance_hour_from), at(self.maintenance_hour_to)

    def _maintenance_window_label(self):
        """The window in words, in the customer's time zone (for the portal and notices)."""
        self.ensure_one()
        if not self.maintenance_weekday:
            return ""
        days = dict(self._fields["maintenance_weekday"]._description_selection(self.env))

        def hhmm(hours):
            return f"{int(hours):02d}:{round(hours % 1 * 60):02d}"

        return self.env._(
            "%(day)s %(start)s-%(end)s (%(tz)s)",
            day=days[self.maintenance_weekday],
            start=hhmm(self.maintenance_hour_from),
            end=hhmm(self.maintenance_hour_to),
            tz=self.tz or "UTC",
        )

    @api.model
    def _format_window_start(self, moment, tz):
        """A planned start (UTC) as the customer reads it: date and time in ``tz``."""
        if not moment:
            return ""
        local = pytz.utc.localize(moment).astimezone(pytz.timezone(tz or "UTC"))
        return f"{format_date(self.env, local.date())} {local:%H:%M}"

    # --- Cron support -------------------------------------------------------------------------
    @api.model
    def _get_patch_domain(self, agreements):
        """Active environments covered by ``agreements``."""
        return Domain("agreement_ids", "in", agreements.ids) & Domain("active", "=", True)
