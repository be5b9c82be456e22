from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

BILLING_STATUSES = [
    ("covered", "Covered"),
    ("pack", "Drawn from Pack"),
    ("to_invoice", "To Invoice"),
    ("invoiced", "Invoiced"),
    ("held", "Awaiting Approval"),
    ("refused", "Refused by Customer"),
    ("within_minimum", "Within Invoiced Minimum"),
    ("written_off", "Written Off"),
    ("none", "Not Support"),
]
# Statuses in which a support line is accounted for; any other is a leak. Views filter on
# `support_is_settled`, which searches with this list.
SETTLED_STATUSES = (
    "covered",
    "pack",
    "to_invoice",
    "invoiced",
    "within_minimum",
    "written_off",
)
# Fields only the billing engine writes: allowed on invoiced lines.
SYSTEM_FIELDS = {
    "support_billing_status",
    "support_billing_reason",
    "support_billed_hours",
    "support_pack_hours",
    "support_invoice_line_id",
    "amount",
}


class AccountAnalyticLine(models.Model):
    _name = "account.analytic.line"
    _inherit = [  # noqa: RUF012
        "account.analytic.line",
        "support.billing.mixin",
        "support.protected.mixin",
    ]

    support_ticket_id = fields.Many2one(
        "support.ticket", string="Support Ticket", index="btree_not_null", ondelete="restrict"
    )
    support_billing_status = fields.Selection(
        BILLING_STATUSES,
        string="Billing Status",
        default="none",
        readonly=True,
        copy=False,
        index=True,
    )
    support_is_settled = fields.Boolean(
        string="Billing Settled",
        compute="_compute_support_is_settled",
        search="_search_support_is_settled",
        help="Covered, drawn from a pack, invoiced or waiting to be invoiced.",
    )
    support_billing_reason = fields.Text(string="Billing Reason", readonly=True, copy=False)
    support_billed_hours = fields.Float(
        string="Hours Billed Hourly",
        readonly=True,
        copy=False,
        help="Part of the logged hours billed at the hourly rate (the rest is covered or drawn "
        "from packs). The per-request minimum is added on the ticket's invoice line.",
    )
    support_pack_hours = fields.Float(string="Hours from Packs", readonly=True, copy=False)
    support_consumption_ids = fields.One2many(
        "support.hour.pack.consumption", "timesheet_id", string="Pack Draws", readonly=True
    )
    support_invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    support_invoice_id = fields.Many2one(
        related="support_invoice_line_id.move_id", string="Support Invoice"
    )
    support_partner_id = fields.Many2one(
        related="support_ticket_id.commercial_partner_id", string="Support Customer", store=True
    )
    support_category_id = fields.Many2one(
        related="support_ticket_id.category_id", string="Service Category", store=True
    )
    support_agreement_type_id = fields.Many2one(
        "support.agreement.type",
        string="Agreement Type",
        compute="_compute_support_agreement_type_id",
        store=True,
    )

    @api.depends("support_billing_status")
    def _compute_support_is_settled(self):
        for line in self:
            line.support_is_settled = line.support_billing_status in SETTLED_STATUSES

    def _search_support_is_settled(self, operator, value):
        if operator != "in":
            return NotImplemented
        settled = Domain("support_billing_status", "in", SETTLED_STATUSES)
        if True in value and False in value:
            return Domain.TRUE
        return settled if True in value else ~settled

    @api.depends(
        "support_ticket_id.coverage_agreement_id.type_id",
        "support_ticket_id.company_id.support_default_type_id",
    )
    def _compute_support_agreement_type_id(self):
        for line in self:
            ticket = line.support_ticket_id
            line.support_agreement_type_id = ticket._support_billing_type() if ticket else False

    # ------------------------------------------------------------------ engine's fields
    def _support_protected_fields(self):
        """What the billing engine decides for a line, and its invoice link."""
        return super()._support_protected_fields() | {
            "support_billing_status",
            "support_billing_reason",
            "support_billed_hours",
            "support_pack_hours",
            "support_consumption_ids",
            "support_invoice_line_id",
            "support_partner_id",
            "support_category_id",
            "support_agreement_type_id",
        }

    def _support_may_write_protected(self):
        return super()._support_may_write_protected() or self._support_is_engine_write()

    @api.constrains("unit_amount", "support_ticket_id")
    def _check_support_unit_amount(self):
        for line in self:
            if line.support_ticket_id and line.unit_amount <= 0:
                raise ValidationError(
                    self.env._(
                        "Time logged on ticket %(ticket)s must be positive (got %(hours)s h).",
                        ticket=line.support_ticket_id.display_name,
                        hours=line.unit_amount,
                    )
                )

    @api.model
    def _support_check_ticket_open(self, tickets):
        cancelled = tickets.filtered("is_cancelled")
        if cancelled:
            raise UserError(
                self.env._(
                    "You cannot log time on the cancelled ticket %(ticket)s.",
                    ticket=cancelled[0].display_name,
                )
            )
        unclassified = tickets.filtered(lambda t: not t.category_id)
        if unclassified:
            # To Classify: time is neither covered nor billed until the category is chosen.
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s waits for its service category: classify it before "
                    "logging time.",
                    ticket=unclassified[0].display_name,
                )
            )

    def _support_check_not_invoiced(self, delete=False):
        invoiced = self.filtered("support_invoice_line_id")
        if not invoiced:
            return
        line = invoiced[0]
        invoice = line.sudo().support_invoice_line_id.move_id.display_name
        if delete:
            raise UserError(
                self.env._(
                    "You cannot delete the timesheet line %(line)s: it is invoiced on "
                    "%(invoice)s. Cancel the invoice or issue a credit note first.",
                    line=line.name or line.date,
                    invoice=invoice,
                )
            )
        raise UserError(
            self.env._(
                "You cannot edit the timesheet line %(line)s: it is invoiced on %(invoice)s. "
                "Cancel the invoice or issue a credit note first.",
                line=line.name or line.date,
                invoice=invoice,
            )
        )

    @api.model
    def _support_preprocess(self, vals_list):
        ticket_ids = {vals.get("support_ticket_id") for vals in vals_list} - {False, None}
        if not ticket_ids:
            return
        tickets = self.env["support.ticket"].browse(ticket_ids)
        self._support_check_ticket_open(tickets)
        for vals in vals_list:
            if not vals.get("support_ticket_id"):
                continue
            # Time on a ticket goes to the ticket's project, whatever the default project was.
            ticket = tickets.browse(vals["support_ticket_id"])
            vals["project_id"] = ticket.sudo()._support_get_project().id
            vals.pop("task_id", None)
            if not vals.get("name"):
                vals["name"] = ticket.name

    @api.model_create_multi
    def create(self, vals_list):
        self._support_preprocess(vals_list)
        lines = super().create(vals_list)
        lines.support_ticket_id._support_bill_new_lines(lines)
        return lines

    def write(self, vals):
        if self._support_is_engine_write():
            return super().write(vals)
        if set(vals) - SYSTEM_FIELDS:
            self._support_check_not_invoiced()
        if vals.get("support_ticket_id"):
            ticket = self.env["support.ticket"].browse(vals["support_ticket_id"])
            self._support_check_ticket_open(ticket)
            vals = dict(vals, project_id=ticket.sudo()._support_get_project().id)
        billing_fields = {"unit_amount", "date", "support_ticket_id"}
        old_tickets = self.support_ticket_id if billing_fields & set(vals) else None
        if billing_fields & set(vals):
            self._support_check_ticket_open(self.support_ticket_id)
        res = super().write(vals)
        if "support_ticket_id" in vals and not vals["support_ticket_id"]:
            # No longer support time: no billing status, no pack draws.
            self.sudo().support_consumption_ids.unlink()
            self._support_engine_write(
                {
                    "support_billing_status": "none",
                    "support_billing_reason": False,
                    "support_billed_hours": 0.0,
                    "support_pack_hours": 0.0,
                }
            )
        if old_tickets is not None:
            (old_tickets | self.support_ticket_id)._support_recompute_billing()
        return res

    def unlink(self):
        self._support_check_not_invoiced(delete=True)
        tickets = self.support_ticket_id
        self.support_consumption_ids.sudo().unlink()
        res = super().unlink()
        tickets.exists()._support_recompute_billing()
        return res
