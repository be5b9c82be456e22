"""What a patch run did to an environment: recorded by the consultant when closing the patch
ticket, read by the customer in the portal and on the statement."""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

PATCH_TYPES = [
    ("infrastructure", "Infrastructure"),
    ("odoo_source", "Odoo source patches"),
    ("custom_code", "Custom code"),
]
PATCH_RESULTS = [("done", "Done"), ("failed", "Failed"), ("rolled_back", "Rolled back")]


class SupportPatchRecord(models.Model):
    _name = "support.patch.record"
    _description = "Patch Record"
    _order = "date desc, id desc"

    environment_id = fields.Many2one(
        "support.environment", required=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(
        related="environment_id.partner_id", string="Customer", store=True, index=True
    )
    company_id = fields.Many2one(related="environment_id.company_id", store=True)
    ticket_id = fields.Many2one("support.ticket", index="btree_not_null", ondelete="restrict")
    date = fields.Date(required=True, default=fields.Date.context_today)
    patch_type = fields.Selection(PATCH_TYPES, required=True)
    version_before = fields.Char(string="Before", help="Version or revision before the patch.")
    version_after = fields.Char(string="After", help="Version or revision after the patch.")
    result = fields.Selection(PATCH_RESULTS, required=True, default="done")
    downtime_minutes = fields.Integer(string="Downtime (min)")
    note = fields.Text()
    is_locked = fields.Boolean(
        compute="_compute_is_locked",
        help="Locked once the customer's statement of the month has been sent.",
    )

    _downtime_positive = models.Constraint(
        "CHECK(downtime_minutes >= 0)", "The downtime cannot be negative."
    )

    def _compute_is_locked(self):
        locked = self._support_locked()
        for record in self:
            record.is_locked = record in locked

    def _support_locked(self):
        """The records of ``self`` that may no longer change (support_timesheet: the month's
        statement was sent)."""
        return self.browse()

    @api.constrains("environment_id", "ticket_id")
    def _check_ticket(self):
        for record in self:
            ticket = record.ticket_id
            if ticket.environment_id and ticket.environment_id != record.environment_id:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s is about %(environment)s: record its patches there.",
                        ticket=ticket.display_name,
                        environment=ticket.environment_id.display_name,
                    )
                )
            if ticket and ticket.commercial_partner_id != record.environment_id.partner_id:
                raise ValidationError(
                    self.env._(
                        "Patch record of %(environment)s: ticket %(ticket)s is a request of "
                        "another customer.",
                        environment=record.environment_id.display_name,
                        ticket=ticket.display_name,
                    )
                )

    def _check_not_locked(self):
        locked = self._support_locked()
        if locked:
            raise UserError(
                self.env._(
                    "The patch records of %(environments)s are on a statement already sent to "
                    "the customer and can no longer change.",
                    environments=", ".join(locked.environment_id.mapped("display_name")),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._check_not_locked()
        return records

    def write(self, vals):
        self.check_access("write")  # the rights first, then whether the month is locked
        self._check_not_locked()
        res = super().write(vals)
        self._check_not_locked()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        self._check_not_locked()
