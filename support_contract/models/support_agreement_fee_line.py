"""A line of an agreement's monthly fee: what it covers (an environment or a description), how
many, at what price, and the days it runs. The agreement's monthly fee is their sum."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools.misc import format_date


class SupportAgreementFeeLine(models.Model):
    _name = "support.agreement.fee.line"
    _description = "Support Agreement Fee Line"
    _order = "agreement_id, sequence, id"

    agreement_id = fields.Many2one(
        "support.agreement", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    partner_id = fields.Many2one(related="agreement_id.partner_id", string="Customer")
    company_id = fields.Many2one(related="agreement_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    environment_id = fields.Many2one(
        "support.environment",
        string="Environment",
        ondelete="restrict",
        index="btree_not_null",
        domain="[('partner_id', '=', partner_id)]",
        help="The customer environment this line's fee is for (optional).",
    )
    name = fields.Char(string="Description", help="What the line's fee is for.")
    quantity = fields.Float(default=1.0, digits=(16, 2), required=True)
    price_unit = fields.Monetary(string="Unit Price", currency_field="currency_id")
    subtotal = fields.Monetary(
        string="Monthly Amount",
        currency_field="currency_id",
        compute="_compute_subtotal",
        store=True,
        help="The line's fee for a whole month.",
    )
    date_start = fields.Date(
        string="From", help="Empty: from the start of the agreement. Prorated by day."
    )
    date_end = fields.Date(string="Until", help="Empty: as long as the agreement. Prorated by day.")

    @api.depends("quantity", "price_unit", "currency_id")
    def _compute_subtotal(self):
        for line in self:
            amount = line.quantity * line.price_unit
            line.subtotal = line.currency_id.round(amount) if line.currency_id else amount

    @api.depends("environment_id", "name", "agreement_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line._support_label() or line.agreement_id.display_name

    def _support_label(self):
        """What the line is for, as the customer reads it: its environment and description."""
        self.ensure_one()
        parts = [self.environment_id.display_name, self.name]
        return ", ".join(part for part in parts if part)

    @api.model
    def _get_in_force_domain(self, day, day_to=None):
        """Fee lines running on ``day``, or with ``day_to`` on at least one day from ``day`` to
        ``day_to`` (their own dates; empty dates: the agreement's)."""
        return (Domain("date_start", "=", False) | Domain("date_start", "<=", day_to or day)) & (
            Domain("date_end", "=", False) | Domain("date_end", ">=", day)
        )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for line in self:
            if line.date_start and line.date_end and line.date_end < line.date_start:
                raise ValidationError(
                    self.env._(
                        "Fee line %(line)s of %(agreement)s: the end date %(end)s is before the "
                        "start date %(start)s.",
                        line=line.display_name,
                        agreement=line.agreement_id.name,
                        end=format_date(self.env, line.date_end),
                        start=format_date(self.env, line.date_start),
                    )
                )

    @api.constrains("environment_id", "agreement_id")
    def _check_environment(self):
        for line in self:
            if line.environment_id and line.environment_id.partner_id != line.partner_id:
                raise ValidationError(
                    self.env._(
                        "Fee line of %(agreement)s: the environment %(environment)s belongs to "
                        "another customer than %(customer)s.",
                        agreement=line.agreement_id.name,
                        environment=line.environment_id.display_name,
                        customer=line.partner_id.display_name,
                    )
                )
