from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, float_is_zero

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
# Who reads what the work cost (timesheet costs, margins): managers and accountants.
COST_GROUPS = (
    "hr_timesheet.group_hr_timesheet_approver,account.group_account_invoice,"
    "account.group_account_readonly"
)
# The fields of an invoiced line that stay as invoiced: the work billed and what the customer
# reads of it in the portal (its description, who did it, when, on which request). Other fields
# (costs, validation, analytic plans of other timesheet modules) remain writable, as in
# sale_timesheet's `_check_can_write`.
INVOICED_FIELDS = {
    "unit_amount",
    "date",
    "name",
    "support_ticket_id",
    "employee_id",
    "user_id",
    "project_id",
    "task_id",
}


class AccountAnalyticLine(models.Model):
    _name = "account.analytic.line"
    _inherit = [  # noqa: RUF012
        "account.analytic.line",
        "support.billing.mixin",
        "support.protected.mixin",
    ]

    # A line's cost is its employee's hourly cost: for managers (timesheet approvers, which
    # Support Managers are) and accountants, not for the consultants who read their colleagues'
    # time on tickets (support_timesheet_security.xml). Views leave the field out for others.
    amount = fields.Monetary(groups=COST_GROUPS)
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
    support_billing_reason = fields.Text(
        string="Billing Reason",
        compute="_compute_support_billing_reason",
        help="Why the line is billed as it is, written from what the billing engine stored "
        "(status, pack draws, hours, invoice) in the language of whoever reads it.",
    )
    support_billed_hours = fields.Float(
        string="Hours Billed Hourly",
        readonly=True,
        copy=False,
        help="Part of the logged hours billed at the hourly rate (the rest is covered or drawn "
        "from packs). The per-request minimum is added on the ticket's invoice line.",
    )
    support_pack_hours = fields.Float(string="Hours from Packs", readonly=True, copy=False)
    support_minimum_hours = fields.Float(
        string="Hours within Invoiced Minimum",
        readonly=True,
        copy=False,
        help="Part of the logged hours settled within a per-request minimum already invoiced.",
    )
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

    @api.depends(
        "support_billing_status",
        "support_billed_hours",
        "support_pack_hours",
        "support_minimum_hours",
        "unit_amount",
        "support_consumption_ids.hours",
        "support_consumption_ids.pack_id",
        "support_invoice_line_id",
        "support_ticket_id.coverage_reason",
        "support_ticket_id.write_off_reason",
    )
    @api.depends_context("lang")
    def _compute_support_billing_reason(self):
        released = self._support_released_invoices()
        for line, line_sudo in zip(self, self.sudo(), strict=True):
            line.support_billing_reason = line_sudo._support_billing_reason(
                released.get(line._origin.id)
            )

    def _support_released_invoices(self):
        """{line id: the invoices that billed the line before being cancelled or credited}."""
        ids = [line_id for line_id in self._origin.ids if line_id]
        released = defaultdict(lambda: self.env["account.move"])
        if not ids:
            return released
        invoice_lines = (
            self.env["account.move.line"]
            .sudo()
            .search([("support_released_timesheet_ids", "in", ids)], order="id")
        )
        for invoice_line in invoice_lines:
            for line_id in set(invoice_line.support_released_timesheet_ids.ids) & set(ids):
                released[line_id] |= invoice_line.move_id
        return released

    def _support_billing_reason(self, released=None):
        """The line's billing in words, in the language of the environment (the reader's),
        from the facts the engine stored; `released`: the invoices that billed it before."""
        self.ensure_one()
        ticket = self.support_ticket_id
        status = self.support_billing_status
        if not ticket or status in (False, "none"):
            return False
        if status == "covered":
            return ticket.coverage_reason or self.env._("Covered by the customer's agreement.")
        parts = []
        within = self.support_minimum_hours
        if not float_is_zero(within, precision_digits=2):
            parts.append(
                self.env._(
                    "%(hours).2f h within the per-request minimum already invoiced", hours=within
                )
            )
        parts += [
            self.env._(
                "%(hours).2f h drawn from pack %(pack)s", hours=draw.hours, pack=draw.pack_id.name
            )
            for draw in self.support_consumption_ids.sorted("id")
        ]
        parts += self._support_hourly_reason(status, self._support_hours_beyond_packs())
        sentences = [
            self.env._(
                "Billable: %(reason)s", reason=ticket.coverage_reason or self.env._("no coverage")
            ),
            "; ".join(parts),
        ]
        invoice_line = self.support_invoice_line_id
        if status == "invoiced" and invoice_line:
            sentences.append(
                self.env._(
                    "Invoiced on %(invoice)s with ticket %(ticket)s: %(hours).2f h billed on its "
                    "invoice line (the line's hourly hours plus any per-request minimum).",
                    invoice=invoice_line.move_id.display_name,
                    ticket=ticket.number,
                    hours=invoice_line.quantity,
                )
            )
        if released:
            sentences.append(
                self.env._(
                    "Invoiced before on %(invoices)s, released when that invoice was cancelled "
                    "or credited.",
                    invoices=", ".join(released.mapped("display_name")),
                )
            )
        return "\n".join(sentence for sentence in sentences if sentence)

    def _support_hourly_reason(self, status, hours):
        """The sentences of the hours beyond the packs and the invoiced minimum (`hours`)."""
        self.ensure_one()
        if status == "to_invoice":
            return [
                self.env._(
                    "%(hours).2f h to invoice at the hourly rate", hours=self.support_billed_hours
                )
            ]
        if status == "invoiced" and not float_is_zero(
            self.support_billed_hours, precision_digits=2
        ):
            return [
                self.env._(
                    "%(hours).2f h invoiced at the hourly rate", hours=self.support_billed_hours
                )
            ]
        if status == "held":
            return [
                self.env._(
                    "%(hours).2f h beyond the prepaid balance await the customer's approval "
                    "(cost control)",
                    hours=hours,
                )
            ]
        if status == "refused":
            return [
                self.env._(
                    "%(hours).2f h beyond the prepaid balance refused by the customer",
                    hours=hours,
                )
            ]
        if status == "written_off":
            return [
                self.env._(
                    "%(hours).2f h refused by the customer, written off: %(reason)s",
                    hours=hours,
                    reason=self.support_ticket_id.write_off_reason,
                )
            ]
        return []

    # ------------------------------------------------------------------ held hours
    # The one home of the held-hours formula: the engine's totals (Python and its incremental
    # query), the statement and the line's reason read it here.
    def _support_hours_beyond_packs(self, vals=None):
        """The line's hours beyond its pack draws and a per-request minimum already invoiced
        (held, refused or written off as a whole); `vals`: billing values to read instead of
        the line's stored ones (the engine's, before it writes them)."""
        self.ensure_one()
        vals = self if vals is None else vals
        return self.unit_amount - vals["support_pack_hours"] - vals["support_minimum_hours"]

    def _support_held_hours(self, vals=None):
        """The line's hours awaiting the customer's approval (see
        ``_support_hours_beyond_packs``; `_support_held_hours_sql` is its SQL)."""
        self.ensure_one()
        vals = self if vals is None else vals
        if vals["support_billing_status"] != "held":
            return 0.0
        return self._support_hours_beyond_packs(vals)

    @api.model
    def _support_held_hours_sql(self, alias):
        """`_support_held_hours` as an SQL expression over the table aliased `alias`."""

        def column(fname):
            return SQL.identifier(alias, fname)

        return SQL(
            "CASE WHEN %s = 'held' THEN %s - COALESCE(%s, 0) - COALESCE(%s, 0) ELSE 0 END",
            column("support_billing_status"),
            column("unit_amount"),
            column("support_pack_hours"),
            column("support_minimum_hours"),
        )

    # ------------------------------------------------------------------ hours to invoice
    # The one home of a line's share of its ticket's hours to invoice: the ticket's compute and
    # the engine's totals (Python and its incremental query), and the statement.
    def _support_to_invoice_hours(self):
        """The line's billed hours still to invoice (`_support_to_invoice_hours_sql` is its
        SQL)."""
        self.ensure_one()
        if self.support_billing_status != "to_invoice":
            return 0.0
        return self.support_billed_hours

    @api.model
    def _support_to_invoice_hours_sql(self, alias):
        """`_support_to_invoice_hours` as an SQL expression over the table aliased `alias`."""
        return SQL(
            "CASE WHEN %s = 'to_invoice' THEN COALESCE(%s, 0) ELSE 0 END",
            SQL.identifier(alias, "support_billing_status"),
            SQL.identifier(alias, "support_billed_hours"),
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
            "support_minimum_hours",
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

    def copy_data(self, default=None):
        """A user who may not read costs (COST_GROUPS) duplicates time without its cost: the
        copy's cost is computed as for any new line (hr_timesheet, from its hours and
        employee). A cost given in ``default`` is that user's own write, refused as such."""
        amount = self._fields["amount"]
        if "amount" in (default or {}) or self._has_field_access(amount, "read"):
            return super().copy_data(default)
        vals_list = super().copy_data(dict(default or {}, amount=0.0))
        for vals in vals_list:
            if vals:
                vals.pop("amount", None)
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        self._support_preprocess(vals_list)
        lines = super().create(vals_list)
        lines.support_ticket_id._support_bill_new_lines(lines)
        return lines

    def _check_can_write(self, values):
        """Invoiced time is locked: the fields that matter (INVOICED_FIELDS) stay as invoiced
        until the invoice is cancelled or credited (hr_timesheet's write calls this)."""
        if INVOICED_FIELDS & set(values) and not self._support_is_engine_write():
            self._support_check_not_invoiced()
        return super()._check_can_write(values)

    def write(self, vals):
        if self._support_is_engine_write():
            return super().write(vals)
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
                    "support_billed_hours": 0.0,
                    "support_pack_hours": 0.0,
                    "support_minimum_hours": 0.0,
                }
            )
        if old_tickets is not None:
            (old_tickets | self.support_ticket_id)._support_recompute_billing()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_support_invoiced(self):
        self._support_check_not_invoiced(delete=True)

    def unlink(self):
        tickets = self.support_ticket_id
        # (The draws of invoiced lines stay: deleting those lines is refused.)
        open_lines = self.filtered(lambda line: not line.support_invoice_line_id)
        open_lines.sudo().support_consumption_ids.unlink()
        res = super().unlink()
        tickets.exists()._support_recompute_billing()
        return res
