# The ticket's billing fields and sums, its project, and the engine's triggers on create and write.
import math

from odoo import api, fields, models
from odoo.tools import SQL, float_is_zero, float_round

APPROVAL_STATES = [
    ("not_needed", "Not Needed"),
    ("pending", "Awaiting Customer Approval"),
    ("approved", "Approved"),
    ("refused", "Refused"),
]
# Changes of these ticket fields may change the decision or the billing of its time.
BILLING_TRIGGERS = {
    "category_id",
    "partner_id",
    "request_date",
    "outcome",
    "coverage",
    "coverage_override",
    "coverage_agreement_id",
    "stage_id",
    "company_id",
    "approval_state",
}
PRECISION = 4
# The ticket's sums of its lines and draws (``_compute_hours_sums``).
HOURS_SUMS = ("hours_logged", "hours_from_pack", "hours_to_invoice")
# Tickets (invoice lines) per batch of an invoicing run: bounds the memory of a large run.
INVOICE_BATCH_LINES = 1000


def _round_billed(hours, minimum, step):
    """Billed hours of a request: rounded up to `step`, at least `minimum` (0 when no time)."""
    if float_is_zero(hours, precision_digits=PRECISION) or hours < 0:
        return 0.0
    if step > 0:
        hours = math.ceil(float_round(hours / step, precision_digits=PRECISION)) * step
    return float_round(max(hours, minimum), precision_digits=PRECISION)


class SupportTicket(models.Model):
    _name = "support.ticket"
    _inherit = ["support.ticket", "support.billing.mixin"]  # noqa: RUF012

    project_id = fields.Many2one(
        "project.project",
        string="Timesheet Project",
        domain="[('allow_timesheets', '=', True), ('company_id', 'in', [company_id, False])]",
        help="Project receiving the time logged on the ticket (default: the company's Support "
        "project).",
    )
    analytic_account_id = fields.Many2one(
        related="project_id.account_id", string="Analytic Account"
    )
    timesheet_ids = fields.One2many(
        "account.analytic.line", "support_ticket_id", string="Timesheets"
    )
    pack_consumption_ids = fields.One2many(
        "support.hour.pack.consumption", "ticket_id", string="Pack Draws", readonly=True
    )
    invoice_line_ids = fields.One2many(
        "account.move.line", "support_ticket_id", string="Invoice Lines", readonly=True
    )
    # Pure sums of timesheet, draw and invoice lines: stored computes. What the engine decides
    # (billed, extra and held hours, the approval state) it writes itself.
    hours_logged = fields.Float(
        string="Tracked Hours",
        compute="_compute_hours_sums",
        store=True,
        copy=False,
        help="Hours logged by consultants.",
    )
    hours_billed = fields.Float(
        string="Billed Hours",
        readonly=True,
        copy=False,
        help="Billable total after the per-request minimum and the rounding step (0 when the "
        "request is covered).",
    )
    hours_extra = fields.Float(
        string="Minimum/Rounding Hours",
        readonly=True,
        copy=False,
        help="Hours added to the billable total by the per-request minimum and rounding.",
    )
    hours_from_pack = fields.Float(
        string="Hours from Packs", compute="_compute_hours_sums", store=True, copy=False
    )
    hours_to_invoice = fields.Float(
        string="Hours to Invoice", compute="_compute_hours_sums", store=True, copy=False
    )
    hours_invoiced = fields.Float(
        string="Hours Invoiced", compute="_compute_hours_invoiced", store=True, copy=False
    )
    hours_extra_to_invoice = fields.Float(
        string="Minimum/Rounding Hours to Invoice",
        readonly=True,
        copy=False,
        help="Hours of the per-request minimum or rounding not billed yet; they go on the "
        "ticket's next invoice line (negative when an earlier invoice billed a minimum that "
        "later time used up).",
    )
    hours_held = fields.Float(
        string="Hours Awaiting Approval",
        readonly=True,
        copy=False,
        help="Billable hours beyond the prepaid balance of a cost-controlled customer.",
    )
    approval_state = fields.Selection(
        APPROVAL_STATES,
        string="Extra Hours Approval",
        default="not_needed",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    approval_partner_id = fields.Many2one(
        "res.partner", string="Approved/Refused by", readonly=True, copy=False
    )
    approval_date = fields.Datetime(string="Approval Date", readonly=True, copy=False)
    write_off_reason = fields.Text(
        string="Write-off Reason",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a Support Manager wrote off the hours the customer refused.",
    )
    write_off_user_id = fields.Many2one(
        "res.users", string="Written Off by", readonly=True, copy=False
    )
    write_off_date = fields.Datetime(string="Written Off on", readonly=True, copy=False)
    approval_note = fields.Text(
        string="Approval Received",
        readonly=True,
        copy=False,
        help="How the customer's answer reached us, when a Support Manager recorded it.",
    )
    support_invoice_count = fields.Integer(
        string="Invoices", compute="_compute_support_invoice_count"
    )

    def _support_sums(self, model, link, field, domain=()):
        """{ticket id: sum of `field`} over the `model` records whose `link` is one of the
        tickets, in one query."""
        groups = (
            self.env[model]
            .sudo()
            ._read_group([(link, "in", self.ids), *domain], [link], [f"{field}:sum"])
        )
        return {ticket.id: total for ticket, total in groups}

    @api.depends(
        "timesheet_ids.unit_amount",
        "timesheet_ids.support_billed_hours",
        "timesheet_ids.support_billing_status",
        "pack_consumption_ids.hours",
        "hours_extra_to_invoice",
    )
    def _compute_hours_sums(self):
        """Hours logged, drawn from packs and to invoice: the sums of the tickets' lines and
        draws, in one query (logging a line changes all three)."""
        self.env["account.analytic.line"].flush_model(
            ["support_ticket_id", "unit_amount", "support_billed_hours", "support_billing_status"]
        )
        self.env["support.hour.pack.consumption"].flush_model(["ticket_id", "hours"])
        sums = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    """SELECT ticket.id, line.logged, line.to_invoice, draw.hours
                         FROM unnest(%(ids)s::int[]) AS ticket(id),
                              LATERAL (SELECT SUM(unit_amount) AS logged,
                                              SUM(%(to_invoice)s) AS to_invoice
                                         FROM account_analytic_line line
                                        WHERE support_ticket_id = ticket.id) AS line,
                              LATERAL (SELECT SUM(hours) AS hours
                                         FROM support_hour_pack_consumption
                                        WHERE ticket_id = ticket.id) AS draw""",
                    ids=list(self.ids),
                    to_invoice=self.env["account.analytic.line"]._support_to_invoice_hours_sql(
                        "line"
                    ),
                )
            )
            sums = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for ticket in self:
            logged, to_invoice, from_pack = sums.get(ticket.id) or (0.0, 0.0, 0.0)
            ticket.update(
                ticket._support_hours_sums_vals(logged or 0.0, to_invoice or 0.0, from_pack or 0.0)
            )

    def _support_hours_sums_vals(self, logged, to_invoice, from_pack, extra_to_invoice=None):
        """The values of the ticket's sums (HOURS_SUMS) from the hours logged on its lines, the
        billed hours of its lines still to invoice and the hours of its pack draws: the one home
        of what they store, for their compute and for the billing engine, which knows the sums
        of the lines and draws it bills and saves them with its own values. The hours to
        invoice are those of the lines and the extra hours to invoice (`extra_to_invoice`, by
        default the ticket's), never below zero."""
        self.ensure_one()
        if extra_to_invoice is None:
            extra_to_invoice = self.hours_extra_to_invoice
        to_invoice = max(to_invoice + extra_to_invoice, 0.0)
        return {
            "hours_logged": float_round(logged, PRECISION),
            "hours_from_pack": float_round(from_pack, PRECISION),
            "hours_to_invoice": float_round(to_invoice, PRECISION),
        }

    @api.depends("invoice_line_ids.quantity", "invoice_line_ids.parent_state")
    def _compute_hours_invoiced(self):
        sums = self._support_sums(
            "account.move.line", "support_ticket_id", "quantity", [("parent_state", "!=", "cancel")]
        )
        for ticket in self:
            ticket.hours_invoiced = float_round(sums.get(ticket.id, 0.0), PRECISION)

    def _compute_support_invoice_count(self):
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [("support_ticket_id", "in", self.ids)],
                ["support_ticket_id"],
                ["move_id:count_distinct"],
            )
        )
        data = {ticket.id: count for ticket, count in groups}
        for ticket in self:
            ticket.support_invoice_count = data.get(ticket.id, 0)

    def _support_protected_fields(self):
        """The billing engine's results and the customer's answer on held hours."""
        return super()._support_protected_fields() | {
            "pack_consumption_ids",
            "invoice_line_ids",
            "hours_logged",
            "hours_billed",
            "hours_extra",
            "hours_from_pack",
            "hours_to_invoice",
            "hours_invoiced",
            "hours_extra_to_invoice",
            "hours_held",
            "approval_state",
            "approval_partner_id",
            "approval_date",
            "approval_note",
            "write_off_reason",
            "write_off_user_id",
            "write_off_date",
        }

    def _support_may_write_protected(self):
        return super()._support_may_write_protected() or self._support_is_engine_write()

    # ------------------------------------------------------------------ project
    def _support_get_project(self):
        """The ticket's project, or its company's Support project (created on demand)."""
        self.ensure_one()
        return self.project_id or self.company_id._support_get_default_project()

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        for ticket in tickets.filtered(lambda t: not t.project_id):
            ticket.project_id = ticket.company_id.sudo()._support_get_default_project()
        return tickets

    def write(self, vals):
        res = super().write(vals)
        if BILLING_TRIGGERS & set(vals) and not self._support_is_engine_write():
            self._support_recompute_billing()
        return res

    @api.model
    def _get_coverage_redecide_domain(self, partner_ids=None, category_ids=None):
        """Agreement or rule changes leave tickets with invoiced time alone: what was billed
        keeps the decision it was billed under (the ticket's own changes still re-decide)."""
        domain = super()._get_coverage_redecide_domain(partner_ids, category_ids)
        return [*domain, ("hours_invoiced", "=", 0)]

    def _redecide_coverage(self):
        """Decisions changed from outside the ticket (agreement, rule): the time follows."""
        res = super()._redecide_coverage()
        tickets = self.sudo().exists()
        if tickets:
            with_time = (
                self.env["account.analytic.line"]
                .sudo()
                ._read_group([("support_ticket_id", "in", tickets.ids)], ["support_ticket_id"])
            )
            tickets = self.env["support.ticket"].union(*(t for (t,) in with_time))
            tickets._support_recompute_billing()
        return res

    # ------------------------------------------------------------------ actions
    def action_view_support_invoices(self):
        self.ensure_one()
        self.check_access("read")
        moves = (
            self.env["account.move.line"]
            .sudo()
            .search([("support_ticket_id", "=", self.id)])
            .move_id
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"create": False}
        return action

    def action_view_timesheets(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.account_analytic_line_action_support"
        )
        action["domain"] = [("support_ticket_id", "=", self.id)]
        action["context"] = {
            "default_support_ticket_id": self.id,
            "default_project_id": self._support_get_project().id,
        }
        return action
