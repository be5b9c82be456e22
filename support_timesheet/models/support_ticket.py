import math
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, float_round

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


def _round_billed(hours, minimum, step):
    """Billed hours of a request: rounded up to `step`, at least `minimum` (0 when no time)."""
    if float_is_zero(hours, precision_digits=PRECISION) or hours < 0:
        return 0.0
    if step > 0:
        hours = math.ceil(float_round(hours / step, precision_digits=PRECISION)) * step
    return float_round(max(hours, minimum), precision_digits=PRECISION)


class BillingRun:
    """One pass of the billing engine over a batch of tickets (see _support_recompute_billing).

    Loads the lines, the customers' packs (locked), the existing draws and the invoiced
    quantities once, then bills ticket after ticket in memory.
    """

    def __init__(self, tickets):
        env = self.env = tickets.env
        self.Consumption = env["support.hour.pack.consumption"]
        lines = env["account.analytic.line"].search(
            [("support_ticket_id", "in", tickets.ids)], order="date, id"
        )
        self.lines_by_ticket = defaultdict(list)
        for line in lines:
            self.lines_by_ticket[line.support_ticket_id.id].append(line)
        billable = tickets.filtered(lambda t: t.coverage != "covered")
        packs = env["support.hour.pack"]
        if billable:
            packs = packs.search(
                [
                    ("partner_id", "in", billable.commercial_partner_id.ids),
                    ("company_id", "in", billable.company_id.ids),
                ],
                order="date_start, id",
            )
        old = self.Consumption.search([("ticket_id", "in", tickets.ids)])
        if packs or old:
            (packs | old.pack_id)._lock_for_update()
        # Draws of invoiced lines stay; the others are recomputed.
        self.movable = old.filtered(lambda c: not c.timesheet_id.support_invoice_line_id)
        self.remaining = {}
        if packs:
            used = dict(
                self.Consumption._read_group(
                    [("pack_id", "in", packs.ids), ("id", "not in", self.movable.ids)],
                    ["pack_id"],
                    ["hours:sum"],
                )
            )
            self.remaining = {pack.id: pack.hours - used.get(pack, 0.0) for pack in packs}
        self.pack_names = {pack.id: pack.name for pack in packs}
        self.packs_by_key = defaultdict(list)
        for pack in packs:
            self.packs_by_key[(pack.partner_id.id, pack.company_id.id)].append(pack)
        self.old_draws = defaultdict(list)
        for consumption in self.movable:
            self.old_draws[self._key(consumption)].append(
                (consumption.pack_id.id, consumption.hours)
            )
        self.invoiced_qty = dict(
            env["account.move.line"]._read_group(
                [("support_ticket_id", "in", tickets.ids), ("parent_state", "!=", "cancel")],
                ["support_ticket_id"],
                ["quantity:sum"],
            )
        )
        self.default_type = env["support.ticket"]._support_default_type()
        self.draws_to_replace = self.Consumption
        self.new_draws = []
        self.touched_packs = set()

    @staticmethod
    def _key(consumption):
        return consumption.timesheet_id.id or ("extra", consumption.ticket_id.id)

    def draw(self, pack_list, hours, date):
        """Take `hours` from the valid packs on `date`: ([(pack_id, hours)], hours left)."""
        result = []
        for pack in pack_list:
            if float_is_zero(hours, precision_digits=PRECISION):
                break
            left = self.remaining[pack.id]
            if not pack._is_valid_on(date) or float_compare(left, 0, PRECISION) <= 0:
                continue
            take = min(left, hours)
            self.remaining[pack.id] = left - take
            hours -= take
            result.append((pack.id, float_round(take, precision_digits=PRECISION)))
        return result, max(hours, 0.0)

    def set_draws(self, key, ticket, line, date, draws):
        if sorted(self.old_draws.get(key, [])) == sorted(draws):
            return
        self.draws_to_replace |= self.movable.filtered(lambda c: self._key(c) == key)
        self.touched_packs.update(pack_id for pack_id, _hours in draws)
        self.new_draws += [
            {
                "pack_id": pack_id,
                "timesheet_id": line.id if line else False,
                "ticket_id": ticket.id,
                "partner_id": ticket.commercial_partner_id.id,
                "hours": hours,
                "date": date,
            }
            for pack_id, hours in draws
        ]

    def bill_line(self, ticket, line, totals, pack_list):
        billable = ticket.coverage != "covered"
        if not billable:
            self.set_draws(line.id, ticket, line, line.date, [])
            return {
                "support_billing_status": "covered",
                "support_billing_reason": ticket.coverage_reason
                or self.env._("Covered by the customer's agreement."),
                "support_billed_hours": 0.0,
                "support_pack_hours": 0.0,
            }
        totals["billable"] += line.unit_amount
        draws, hourly = self.draw(pack_list, line.unit_amount, line.date)
        self.set_draws(line.id, ticket, line, line.date, draws)
        from_pack = sum(hours for _pack, hours in draws)
        totals["pack"] += from_pack
        vals = ticket._support_line_vals(draws, from_pack, hourly, self.pack_names)
        if vals["support_billing_status"] == "to_invoice":
            totals["to_invoice"] += hourly
        elif vals["support_billing_status"] == "held":
            totals["held"] += hourly
        return vals

    def bill_ticket(self, ticket):
        partner = ticket.commercial_partner_id
        pack_list = self.packs_by_key.get((partner.id, ticket.company_id.id), [])
        totals = defaultdict(float)
        last_date = False
        for line in self.lines_by_ticket.get(ticket.id, []):
            totals["logged"] += line.unit_amount
            last_date = line.date
            if line.support_invoice_line_id:
                totals["billable"] += line.unit_amount
                totals["pack"] += line.support_pack_hours
                totals["invoiced_lines"] += line.support_billed_hours
                continue
            vals = self.bill_line(ticket, line, totals, pack_list)
            changed = {k: v for k, v in vals.items() if line[k] != v}
            if changed:
                line.write(changed)
        extra_total, extra_pending = self.bill_extra(ticket, totals, pack_list, last_date)
        ticket._support_write_totals(totals, extra_total, extra_pending, self.invoiced_qty)

    def bill_extra(self, ticket, totals, pack_list, last_date):
        """The per-request minimum and rounding: ticket level, billed once."""
        billable = ticket.coverage != "covered"
        btype = ticket._support_billing_type(self.default_type)
        hours_billed = _round_billed(
            totals["billable"], btype.min_billed_hours, btype.rounding_step
        )
        totals["billed"] = hours_billed
        extra_total = hours_billed - totals["billable"] if hours_billed else 0.0
        extra_invoiced = max(self.invoiced_qty.get(ticket, 0.0) - totals["invoiced_lines"], 0.0)
        extra_pending = extra_total - extra_invoiced
        extra_draws = []
        if billable and float_compare(extra_pending, 0, PRECISION) > 0 and last_date:
            extra_draws, extra_pending = self.draw(pack_list, extra_pending, last_date)
            totals["pack"] += sum(hours for _pack, hours in extra_draws)
        self.set_draws(("extra", ticket.id), ticket, False, last_date, extra_draws)
        if float_compare(extra_pending, 0, PRECISION) > 0:
            if ticket.approval_state == "refused":
                extra_pending = 0.0
            elif (
                ticket.commercial_partner_id.support_cost_control
                and ticket.approval_state != "approved"
            ):
                totals["held"] += extra_pending
                extra_pending = 0.0
        return extra_total, extra_pending

    def save(self):
        if self.draws_to_replace:
            self.draws_to_replace.unlink()
        if self.new_draws:
            self.Consumption.create(self.new_draws)
        if self.touched_packs:
            touched = self.env["support.hour.pack"].browse(self.touched_packs)
            touched.flush_recordset(["hours_remaining"])
            touched._send_balance_warnings()


class SupportTicket(models.Model):
    _inherit = "support.ticket"

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
    hours_logged = fields.Float(
        string="Tracked Hours", readonly=True, copy=False, help="Hours logged by consultants."
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
    hours_from_pack = fields.Float(string="Hours from Packs", readonly=True, copy=False)
    hours_to_invoice = fields.Float(string="Hours to Invoice", readonly=True, copy=False)
    hours_invoiced = fields.Float(string="Hours Invoiced", readonly=True, copy=False)
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
    support_invoice_count = fields.Integer(
        string="Invoices", compute="_compute_support_invoice_count"
    )

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
        if BILLING_TRIGGERS & set(vals):
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

    # ------------------------------------------------------------------ approval
    def _support_approval_partner(self):
        partner_id = self.env.context.get("support_approval_partner_id")
        if partner_id:
            return self.env["res.partner"].browse(partner_id)
        return self.env.user.partner_id

    def action_approve_extra_hours(self):
        partner = self._support_approval_partner()
        self._support_decide_extra_hours(
            "approved",
            ("pending", "refused"),
            partner,
            self.env._(
                "%(partner)s approved the billable hours beyond the prepaid balance.",
                partner=partner.display_name,
            ),
        )
        return True

    def action_refuse_extra_hours(self):
        partner = self._support_approval_partner()
        self._support_decide_extra_hours(
            "refused",
            ("pending",),
            partner,
            self.env._(
                "%(partner)s refused the billable hours beyond the prepaid balance: they "
                "are not invoiced.",
                partner=partner.display_name,
            ),
        )
        return True

    def _support_decide_extra_hours(self, state, from_states, partner, message):
        """Record the customer's answer on extra hours held for approval, with its author."""
        for ticket in self:
            if ticket.approval_state not in from_states:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s has no extra hours waiting for approval.",
                        ticket=ticket.display_name,
                    )
                )
        self.write(
            {
                "approval_state": state,
                "approval_partner_id": partner.id,
                "approval_date": fields.Datetime.now(),
            }
        )
        for ticket in self:
            ticket.message_post(body=message)

    # ------------------------------------------------------------------ billing engine
    @api.model
    def _support_default_type(self):
        return (
            self.env["support.agreement.type"].sudo().search([("code", "=", "on_demand")], limit=1)
        )

    def _support_billing_type(self, default_type):
        self.ensure_one()
        return self.coverage_agreement_id.type_id or default_type

    def _support_recompute_billing(self):
        """Bring the billing of the tickets' time in line with their decision.

        Lines already linked to an invoice keep their status and pack draws; every other line of
        the tickets is re-billed: covered, drawn from the customer's valid packs (oldest first,
        by the date of the work), then hourly (to invoice), or held for approval when the
        customer is under cost control. Ticket totals are updated in the same pass. A fixed
        number of queries, plus one write per line whose billing changed.
        """
        tickets = self.sudo().exists()
        if not tickets:
            return
        run = BillingRun(tickets)
        for ticket in tickets:
            run.bill_ticket(ticket)
        run.save()

    def _support_write_totals(self, totals, extra_total, extra_pending, invoiced_qty):
        self.ensure_one()
        approval = self.approval_state
        if totals["held"] and approval == "not_needed":
            approval = "pending"
        elif not totals["held"] and approval == "pending":
            approval = "not_needed"
        vals = {
            "hours_logged": totals["logged"],
            "hours_billed": totals["billed"],
            "hours_extra": extra_total,
            "hours_from_pack": totals["pack"],
            "hours_to_invoice": max(totals["to_invoice"] + extra_pending, 0.0),
            "hours_invoiced": invoiced_qty.get(self, 0.0),
            "hours_held": totals["held"],
            "hours_extra_to_invoice": extra_pending,
        }
        vals = {k: float_round(v, precision_digits=PRECISION) for k, v in vals.items()}
        changed = {k: v for k, v in vals.items() if float_compare(self[k], v, PRECISION)}
        if approval != self.approval_state:
            changed["approval_state"] = approval
        if changed:
            # super().write: the totals do not re-enter the billing engine
            super().write(changed)

    def _support_line_vals(self, draws, from_pack, hourly, pack_names):
        """Status and reason of a billable line from its pack draws and hourly remainder."""
        self.ensure_one()
        cost_control = self.commercial_partner_id.support_cost_control
        approval = self.approval_state
        parts = [
            self.env._("%(hours).2f h drawn from pack %(pack)s", hours=hours, pack=pack_names[pack])
            for pack, hours in draws
        ]
        billed = 0.0
        if float_is_zero(hourly, precision_digits=PRECISION):
            status = "pack"
        elif approval == "refused":
            status = "refused"
            parts.append(
                self.env._(
                    "%(hours).2f h beyond the prepaid balance refused by the customer",
                    hours=hourly,
                )
            )
        elif cost_control and approval != "approved":
            status = "held"
            parts.append(
                self.env._(
                    "%(hours).2f h beyond the prepaid balance await the customer's approval "
                    "(cost control)",
                    hours=hourly,
                )
            )
        else:
            status = "to_invoice"
            billed = float_round(hourly, precision_digits=PRECISION)
            parts.append(self.env._("%(hours).2f h to invoice at the hourly rate", hours=hourly))
        reason = self.env._(
            "Billable: %(reason)s", reason=self.coverage_reason or self.env._("no coverage")
        )
        return {
            "support_billing_status": status,
            "support_billing_reason": f"{reason}\n{'; '.join(parts)}",
            "support_billed_hours": billed,
            "support_pack_hours": float_round(from_pack, precision_digits=PRECISION),
        }

    # ------------------------------------------------------------------ actions
    def action_view_support_invoices(self):
        self.ensure_one()
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
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.account_analytic_line_action_support"
        )
        action["domain"] = [("support_ticket_id", "=", self.id)]
        action["context"] = {
            "default_support_ticket_id": self.id,
            "default_project_id": self._support_get_project().id,
        }
        return action
