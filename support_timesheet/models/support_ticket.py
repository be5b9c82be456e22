import logging
import math
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare, float_is_zero, float_round

_logger = logging.getLogger(__name__)

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
                         FROM unnest(%s::int[]) AS ticket(id),
                              LATERAL (SELECT SUM(unit_amount) AS logged,
                                              SUM(support_billed_hours) FILTER (
                                                  WHERE support_billing_status = 'to_invoice'
                                              ) AS to_invoice
                                         FROM account_analytic_line
                                        WHERE support_ticket_id = ticket.id) AS line,
                              LATERAL (SELECT SUM(hours) AS hours
                                         FROM support_hour_pack_consumption
                                        WHERE ticket_id = ticket.id) AS draw""",
                    list(self.ids),
                )
            )
            sums = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for ticket in self:
            logged, to_invoice, from_pack = sums.get(ticket.id) or (0.0, 0.0, 0.0)
            ticket.hours_logged = float_round(logged or 0.0, PRECISION)
            ticket.hours_from_pack = float_round(from_pack or 0.0, PRECISION)
            hours = (to_invoice or 0.0) + ticket.hours_extra_to_invoice
            ticket.hours_to_invoice = float_round(max(hours, 0.0), PRECISION)

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

    # ------------------------------------------------------------------ approval
    def action_approve_extra_hours(self, partner_id=None, note=None):
        """The customer approves the hours held beyond its prepaid balance (also after refusing).

        A Key User of the customer calls it as themself (the portal); a Support Manager records
        an approval received another way: ``partner_id`` is the Key User who approved, ``note``
        says how.
        """
        partner, note = self._support_approval_author(partner_id, note)
        self._support_decide_extra_hours("approved", ("pending", "refused"), partner, note)
        return True

    def action_refuse_extra_hours(self, partner_id=None, note=None):
        """The customer refuses the held hours: they are not invoiced. Same callers as
        :meth:`action_approve_extra_hours`."""
        partner, note = self._support_approval_author(partner_id, note)
        self._support_decide_extra_hours("refused", ("pending",), partner, note)
        return True

    def action_write_off_refused_hours(self, reason=None):
        """A Support Manager settles hours the customer refused by writing them off, with a
        reason: they leave the leaks and show as written off. (To bill them anyway, record the
        customer's later approval.)"""
        if not (self.env.su or self.env.user.has_group("support_contract.group_support_manager")):
            raise AccessError(self.env._("Only a Support Manager can write off refused hours."))
        if not (reason or "").strip():
            raise UserError(self.env._("Write the reason for writing off the refused hours."))
        for ticket in self:
            if ticket.approval_state != "refused" or ticket.write_off_reason:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s has no refused hours to write off.",
                        ticket=ticket.display_name,
                    )
                )
        # Rights checked above; the write-off fields are the server's.
        tickets = self.sudo()
        tickets.write(
            {
                "write_off_reason": reason.strip(),
                "write_off_user_id": self.env.uid,
                "write_off_date": fields.Datetime.now(),
            }
        )
        tickets._support_recompute_billing()
        for ticket in tickets:
            ticket.message_post(
                body=self.env._(
                    "%(user)s wrote off the hours the customer refused: %(reason)s",
                    user=self.env.user.display_name,
                    reason=reason.strip(),
                )
            )
        return True

    def _support_approval_author(self, partner_id, note):
        """Who answers for the customer, checked: (Key User contact, note). Never read from the
        context."""
        user = self.env.user
        if user._is_internal():
            if not user.has_group("support_contract.group_support_manager"):
                raise AccessError(
                    self.env._(
                        "Only the customer's Key User, or a Support Manager recording the "
                        "customer's answer, can approve or refuse hours beyond the prepaid "
                        "balance."
                    )
                )
            if not partner_id or not (note or "").strip():
                raise UserError(
                    self.env._(
                        "Record which Key User of the customer answered and how (by phone, "
                        "e-mail, in a meeting...)."
                    )
                )
            partner = self.env["res.partner"].browse(int(partner_id)).exists()
        else:
            self.check_access("read")
            partner = user.partner_id
            if partner_id and int(partner_id) != partner.id:
                raise AccessError(
                    self.env._("You can only answer for yourself, not for another contact.")
                )
            note = False
        self._support_check_key_user(partner)
        return partner, note

    def _support_key_user_agreements(self, partner=None):
        """The agreements in force today of the tickets' customers (naming ``partner`` as a Key
        User, when given), read with sudo."""
        Agreement = self.env["support.agreement"].sudo()
        domain = Agreement._get_in_force_domain() & Domain(
            "partner_id", "in", self.sudo().commercial_partner_id.ids
        )
        if partner is not None:
            # Key User on a date: support_contract's one definition.
            domain &= partner._get_support_key_user_agreement_domain()
        return Agreement.search(domain)

    def _support_check_key_user(self, partner):
        """``partner`` must be a Key User of each ticket's customer today."""
        customers = self._support_key_user_agreements(partner).partner_id if partner else None
        for ticket in self.sudo():
            if not partner or ticket.commercial_partner_id not in customers:
                raise AccessError(
                    self.env._(
                        "%(contact)s is not a Key User of %(customer)s: only the customer's Key "
                        "Users can approve or refuse hours beyond the prepaid balance.",
                        contact=partner.display_name or self.env._("Nobody"),
                        customer=ticket.commercial_partner_id.display_name,
                    )
                )

    def _support_decide_extra_hours(self, state, from_states, partner, note=False):
        """Record the customer's answer on extra hours held for approval, with its author."""
        for ticket in self:
            if ticket.approval_state not in from_states:
                raise UserError(
                    self.env._(
                        "Ticket %(ticket)s has no extra hours waiting for approval.",
                        ticket=ticket.display_name,
                    )
                )
        if state == "approved":
            message = self.env._(
                "%(partner)s approved the billable hours beyond the prepaid balance.",
                partner=partner.display_name,
            )
        else:
            message = self.env._(
                "%(partner)s refused the billable hours beyond the prepaid balance: they "
                "are not invoiced.",
                partner=partner.display_name,
            )
        if note:
            message = self.env._(
                "%(message)s Recorded by %(user)s: %(note)s",
                message=message,
                user=self.env.user.display_name,
                note=note,
            )
        # The caller's rights were checked by _support_approval_author.
        tickets = self.sudo()
        tickets.write(
            {
                "write_off_reason": False,
                "write_off_user_id": False,
                "write_off_date": False,
                "approval_state": state,
                "approval_partner_id": partner.id,
                "approval_date": fields.Datetime.now(),
                "approval_note": note,
            }
        )
        for ticket in tickets:
            ticket.message_post(body=message)

    # ------------------------------------------------------------------ billing engine
    @api.model
    def _support_default_type(self, company=None):
        """The agreement type that bills requests no agreement covers (a company setting)."""
        return (company or self.env.company).sudo().support_default_type_id

    def _support_billing_type(self):
        """The agreement type whose minimum, rounding and rate bill the ticket."""
        self.ensure_one()
        return self.coverage_agreement_id.type_id or self._support_default_type(self.company_id)

    def _support_recompute_billing(self):
        """Bring the billing of the tickets' time in line with their decision.

        Lines already linked to an invoice keep their status and pack draws; every other line of
        the tickets is re-billed: covered, drawn from the customer's valid packs (oldest first,
        by the date of the work), then hourly (to invoice), or held for approval when the
        customer is under cost control. A fixed number of queries, plus one write per line whose
        billing changed.

        The steps are methods an integrator overrides one at a time:
        ``_support_billing_load`` (what one pass reads), ``_support_packs_to_draw`` (the packs a
        ticket draws from), ``_support_draw`` (one draw), ``_support_hourly_status`` (held,
        refused or to invoice), ``_support_bill_line`` (a line's status),
        ``_support_extra_hours`` (the per-request minimum and rounding) and
        ``_support_billing_save``.
        """
        tickets = self.sudo().exists()
        if not tickets:
            return
        # Concurrent writers of the same tickets' billing (an approval, more time, an invoicing
        # run, a credit note) touch the same rows: the second one fails at once and is retried.
        # (NO KEY UPDATE: time can still be logged against them meanwhile.)
        self.env.cr.execute(
            "SELECT id FROM support_ticket WHERE id IN %s ORDER BY id FOR NO KEY UPDATE NOWAIT",
            [tuple(tickets.ids)],
        )
        run = tickets._support_billing_load()
        for ticket in tickets:
            ticket._support_bill(run)
        tickets._support_billing_save(run)

    def _support_bill_new_lines(self, new_lines):
        """Bill time just logged on the tickets, at a cost that does not grow with them.

        Draws are first come, first served by date, so the lines dated before a new line keep
        their billing: each ticket is billed from the position of its earliest new line on,
        starting from the running totals of the lines before it (one aggregate query). A line
        logged after all the others (the usual case) bills just itself and the extra hours.
        The tickets are those of `new_lines` (just created, so they exist).
        """
        tickets = self.sudo()
        if not tickets:
            return
        # The same row lock as _support_recompute_billing: a concurrent writer of the tickets'
        # billing (an approval, an invoicing run, a credit note) makes this fail at once and be
        # retried, instead of waiting.
        self.env.cr.execute(
            "SELECT id FROM support_ticket WHERE id IN %s ORDER BY id FOR NO KEY UPDATE NOWAIT",
            [tuple(tickets.ids)],
        )
        new_lines = new_lines.sudo().filtered("support_ticket_id")
        positions = {}
        for line in new_lines:
            ticket_id = line.support_ticket_id.id
            positions[ticket_id] = min(positions.get(ticket_id, line.date), line.date)
        base, later_ids, draw_ids = tickets._support_billing_base(new_lines, positions)
        # An invoiced minimum beyond the invoiced lines settles later work in the order of the
        # lines (_support_minimum_credit): such tickets get the full pass.
        full = tickets.filtered(
            lambda t: t.id in base
            and float_compare(t.hours_invoiced - base[t.id]["invoiced_billed"], 0, PRECISION) > 0
        )
        full._support_recompute_billing()
        tickets -= full
        if tickets:
            run = tickets._support_billing_load(
                new_lines=new_lines, base=base, later_ids=later_ids, draw_ids=draw_ids
            )
            for ticket in tickets:
                ticket._support_bill(run)
            tickets._support_billing_save(run)

    def _support_billing_base(self, new_lines, positions):
        """What billing from the positions (ticket id: the date of its earliest new line; new
        lines come after older ones of the same date) starts from, in one query, `new_lines`
        left out: ``(base, later line ids, draw ids)``.

        ``base``: {ticket id: the engine's running totals over the ticket's lines dated up to its
        position and their last date, and the billed hours of all its invoiced lines}; tickets
        without other lines are left out. Then the ids of the tickets' lines dated after their
        position (billed again), and of the draws that may be redone: those of these lines and
        of the new ones, and the tickets' draws for their extra hours.
        """
        self.env["account.analytic.line"].flush_model(
            ["support_ticket_id", "unit_amount", "date", "support_billing_status"]
            + ["support_billed_hours", "support_pack_hours", "support_minimum_hours"]
            + ["support_invoice_line_id"]
        )
        self.env["support.hour.pack.consumption"].flush_model(["ticket_id", "timesheet_id"])
        ticket_positions = SQL(", ").join(
            SQL("(%s, %s::date)", ticket_id, position) for ticket_id, position in positions.items()
        )
        self.env.cr.execute(
            SQL(
                """SELECT pos.ticket_id, agg.count, agg.last, agg.invoiced, agg.invoiced_billed,
                          agg.open_hours, agg.held, agg.all_invoiced, agg.later_ids, draws.ids
                     FROM (VALUES %(positions)s) AS pos(ticket_id, date),
                          LATERAL (
                            SELECT COUNT(*) AS count,
                                   MAX(line.date) FILTER (WHERE is_before) AS last,
                                   SUM(unit_amount) FILTER (WHERE is_before AND is_invoiced)
                                       AS invoiced,
                                   SUM(COALESCE(support_billed_hours, 0))
                                       FILTER (WHERE is_before AND is_invoiced) AS invoiced_billed,
                                   SUM(unit_amount) FILTER (WHERE is_before AND NOT is_invoiced)
                                       AS open_hours,
                                   SUM(unit_amount - COALESCE(support_pack_hours, 0)
                                       - COALESCE(support_minimum_hours, 0)) FILTER (
                                       WHERE is_before AND NOT is_invoiced
                                         AND support_billing_status = 'held') AS held,
                                   SUM(COALESCE(support_billed_hours, 0)) FILTER (WHERE is_invoiced)
                                       AS all_invoiced,
                                   ARRAY_AGG(line.id) FILTER (WHERE NOT is_before) AS later_ids
                              FROM account_analytic_line line,
                                   LATERAL (SELECT line.date <= pos.date AS is_before,
                                                   line.support_invoice_line_id IS NOT NULL
                                                       AS is_invoiced) f
                             WHERE line.support_ticket_id = pos.ticket_id
                               AND line.id NOT IN %(new_ids)s
                          ) agg,
                          LATERAL (
                            SELECT ARRAY_AGG(draw.id) AS ids
                              FROM support_hour_pack_consumption draw
                             WHERE draw.ticket_id = pos.ticket_id
                               AND (draw.timesheet_id IS NULL
                                    OR draw.timesheet_id IN %(new_ids)s
                                    OR draw.timesheet_id = ANY(agg.later_ids))
                          ) draws""",
                positions=ticket_positions,
                new_ids=tuple(new_lines.ids) or (0,),
            )
        )
        base, later_ids, draw_ids = {}, [], []
        for row in self.env.cr.fetchall():
            ticket_id, count, last, invoiced, invoiced_billed, open_hours, held = row[:7]
            all_invoiced, later, draws = row[7:]
            later_ids += later or []
            draw_ids += draws or []
            if not count:
                continue
            # As the full pass counts them: invoiced lines, and the others unless covered.
            billable = invoiced or 0.0
            if self.browse(ticket_id).coverage != "covered":
                billable += open_hours or 0.0
            base[ticket_id] = {
                "last_date": last or False,
                "invoiced_billed": all_invoiced or 0.0,
                "totals": {
                    "billable": billable,
                    "invoiced_lines": invoiced_billed or 0.0,
                    "held": held or 0.0,
                },
            }
        return base, later_ids, draw_ids

    def _support_billing_load(self, new_lines=None, base=None, later_ids=(), draw_ids=()):
        """What one pass of the engine reads, once for all the tickets, as a dict:

        ``lines`` (ticket id: its lines by date), ``packs`` ((customer id, company id): the packs
        in draw order), ``remaining`` (pack id: hours left without the draws being redone),
        ``movable`` (the draws being redone), ``old_draws`` (draw key: [(pack id, hours)]);
        then what the pass collects: ``replace`` (draws to delete),
        ``new_draws`` (values of draws to create), ``touched`` (pack ids drawn from).
        With `new_lines`, `base`, `later_ids` and `draw_ids` (see `_support_billing_base`) only
        the lines from each ticket's position on are billed, on top of the totals of the lines
        before it.
        """
        Consumption = self.env["support.hour.pack.consumption"].sudo()
        Line = self.env["account.analytic.line"].sudo()
        if new_lines is None:
            lines = Line.search([("support_ticket_id", "in", self.ids)], order="date, id")
        else:
            lines = (Line.browse(later_ids) | new_lines).sorted(lambda line: (line.date, line.id))
        lines_by_ticket = defaultdict(list)
        for line in lines:
            lines_by_ticket[line.support_ticket_id.id].append(line)
        billable = self.filtered(lambda t: t.coverage != "covered")
        packs = self.env["support.hour.pack"]
        if billable:
            packs = packs._support_draw_candidates(
                billable.commercial_partner_id, billable.company_id
            )
        if new_lines is None:
            old = Consumption.search([("ticket_id", "in", self.ids)])
        else:  # the draws of the lines before the positions stay
            old = Consumption.browse(draw_ids)
        if packs or old:
            (packs | old.pack_id)._lock_for_update()
        # Draws of invoiced lines stay; the others are redone.
        movable = old.filtered(lambda c: not c.timesheet_id.support_invoice_line_id)
        # A pack's stored balance is its hours less all its draws. Read with the packs, before
        # their lock, it is still current: the transaction reads one snapshot, and a draw
        # committed since then changed the pack's row, so the lock fails (and Odoo retries).
        redone = defaultdict(float)
        for consumption in movable:
            redone[consumption.pack_id.id] += consumption.hours
        remaining = {pack.id: pack.hours_remaining + redone[pack.id] for pack in packs}
        packs_by_key = defaultdict(list)
        for pack in packs:
            packs_by_key[(pack.partner_id.id, pack.company_id.id)].append(pack)
        old_draws = defaultdict(list)
        for consumption in movable:
            old_draws[consumption._support_draw_key()].append(
                (consumption.pack_id.id, consumption.hours)
            )
        return {
            "lines": lines_by_ticket,
            "packs": packs_by_key,
            "remaining": remaining,
            "movable": movable,
            "old_draws": old_draws,
            "replace": Consumption,
            "new_draws": [],
            "touched": set(),
            "base": base or {},
        }

    def _support_packs_to_draw(self, run):
        """The packs the ticket's billable time draws from, in draw order: none for a category
        charged separately."""
        self.ensure_one()
        if not self.category_id.draws_from_packs:
            return []
        return run["packs"].get((self.commercial_partner_id.id, self.company_id.id), [])

    @api.model
    def _support_draw(self, run, packs, hours, date):
        """Take `hours` from the packs valid on `date`, in order: ([(pack id, hours)], hours
        left). Never below a pack's balance."""
        result = []
        remaining = run["remaining"]
        for pack in packs:
            if float_is_zero(hours, precision_digits=PRECISION):
                break
            left = remaining[pack.id]
            if not pack._is_valid_on(date) or float_compare(left, 0, PRECISION) <= 0:
                continue
            take = min(left, hours)
            remaining[pack.id] = left - take
            hours -= take
            result.append((pack.id, float_round(take, precision_digits=PRECISION)))
        return result, max(hours, 0.0)

    def _support_set_draws(self, run, key, line, date, draws):
        """Record the draws of a line (or of the ticket's extra hours) if they changed."""
        self.ensure_one()
        if sorted(run["old_draws"].get(key, [])) == sorted(draws):
            return
        run["replace"] |= run["movable"].filtered(lambda c: c._support_draw_key() == key)
        run["touched"].update(pack_id for pack_id, _hours in draws)
        run["new_draws"] += [
            {
                "pack_id": pack_id,
                "timesheet_id": line.id if line else False,
                "ticket_id": self.id,
                "partner_id": self.commercial_partner_id.id,
                "hours": hours,
                "date": date,
            }
            for pack_id, hours in draws
        ]

    def _support_bill(self, run):
        """Bill the ticket's lines not invoiced yet, then its extra hours and totals."""
        self.ensure_one()
        packs = self._support_packs_to_draw(run)
        base = run["base"].get(self.id)
        totals = defaultdict(float, base["totals"] if base else {})
        last_date = base["last_date"] if base else False
        # A ticket billed from a position has no minimum credit (see _support_bill_new_lines).
        run.setdefault("minimum_credit", {})[self.id] = (
            0.0 if base else self._support_minimum_credit(run["lines"].get(self.id, []))
        )
        for line in run["lines"].get(self.id, []):
            last_date = line.date
            if line.support_invoice_line_id:
                totals["billable"] += line.unit_amount
                totals["invoiced_lines"] += line.support_billed_hours
                continue
            vals = self._support_bill_line(run, line, totals, packs)
            changed = {k: v for k, v in vals.items() if line[k] != v}
            line._support_engine_write(changed)
        extra_total, extra_pending = self._support_extra_hours(run, totals, packs, last_date)
        self._support_engine_write(self._support_totals_vals(totals, extra_total, extra_pending))

    def _support_minimum_credit(self, lines):
        """Hours of a per-request minimum already invoiced that later work of the request uses
        up: that work is settled within the minimum (``within_minimum``), without a new invoice
        line and without drawing from a pack."""
        self.ensure_one()
        if self.coverage == "covered" or not lines:
            return 0.0
        invoiced_lines = sum(
            line.support_billed_hours for line in lines if line.support_invoice_line_id
        )
        extra_invoiced = self.hours_invoiced - invoiced_lines
        if float_compare(extra_invoiced, 0, PRECISION) <= 0:
            return 0.0
        billable = sum(line.unit_amount for line in lines)
        btype = self._support_billing_type()
        billed = _round_billed(billable, btype.min_billed_hours, btype.rounding_step)
        extra_total = billed - billable if billed else 0.0
        return max(extra_invoiced - extra_total, 0.0)

    def _support_hourly_status(self):
        """What becomes of billable hours beyond the packs: ``to_invoice``, ``held`` for the
        customer's approval (cost control) or ``refused`` by the customer. The one home of the
        approval rule, for lines and for the ticket's extra hours alike."""
        self.ensure_one()
        if self.approval_state == "refused":
            return "written_off" if self.write_off_reason else "refused"
        if self.commercial_partner_id.support_cost_control and self.approval_state != "approved":
            return "held"
        return "to_invoice"

    def _support_bill_line(self, run, line, totals, packs):
        """A line's billing values (status and hours) and its draws: the facts its reason is
        written from, in the reader's language (``account.analytic.line``'s
        ``support_billing_reason``)."""
        self.ensure_one()
        if self.coverage == "covered":
            self._support_set_draws(run, line.id, line, line.date, [])
            return {
                "support_billing_status": "covered",
                "support_billed_hours": 0.0,
                "support_pack_hours": 0.0,
                "support_minimum_hours": 0.0,
            }
        totals["billable"] += line.unit_amount
        credits = run.get("minimum_credit", {})
        within = min(credits.get(self.id, 0.0), line.unit_amount)
        if within > 0:
            credits[self.id] -= within
        draws, hourly = self._support_draw(run, packs, line.unit_amount - within, line.date)
        self._support_set_draws(run, line.id, line, line.date, draws)
        from_pack = sum(hours for _pack, hours in draws)
        vals = self._support_line_vals(draws, from_pack, hourly, within)
        if vals["support_billing_status"] == "held":
            totals["held"] += hourly
        return vals

    def _support_extra_hours(self, run, totals, packs, last_date):
        """The per-request minimum and rounding, at ticket level and billed once: the hours
        added to the billable total and those of them still to invoice (after a draw from the
        packs on the date of the last line, or held for approval)."""
        self.ensure_one()
        btype = self._support_billing_type()
        hours_billed = _round_billed(
            totals["billable"], btype.min_billed_hours, btype.rounding_step
        )
        totals["billed"] = hours_billed
        extra_total = hours_billed - totals["billable"] if hours_billed else 0.0
        extra_invoiced = max(self.hours_invoiced - totals["invoiced_lines"], 0.0)
        # An invoiced minimum larger than needed now settles later lines (_support_minimum_credit)
        extra_pending = max(extra_total - extra_invoiced, 0.0)
        extra_draws = []
        if (
            self.coverage != "covered"
            and float_compare(extra_pending, 0, PRECISION) > 0
            and last_date
        ):
            extra_draws, extra_pending = self._support_draw(run, packs, extra_pending, last_date)
        self._support_set_draws(run, ("extra", self.id), False, last_date, extra_draws)
        if float_compare(extra_pending, 0, PRECISION) > 0:
            status = self._support_hourly_status()
            if status == "held":
                totals["held"] += extra_pending
            if status != "to_invoice":
                extra_pending = 0.0
        return extra_total, extra_pending

    def _support_totals_vals(self, totals, extra_total, extra_pending):
        """The ticket's values the engine decides (the sums of lines are stored computes)."""
        self.ensure_one()
        approval = self.approval_state
        if totals["held"] and approval == "not_needed":
            approval = "pending"
        elif not totals["held"] and approval == "pending":
            approval = "not_needed"
        vals = {
            "hours_billed": totals["billed"],
            "hours_extra": extra_total,
            "hours_held": totals["held"],
            "hours_extra_to_invoice": extra_pending,
        }
        vals = {k: float_round(v, precision_digits=PRECISION) for k, v in vals.items()}
        changed = {k: v for k, v in vals.items() if float_compare(self[k], v, PRECISION)}
        if approval != self.approval_state:
            changed["approval_state"] = approval
        return changed

    def _support_billing_save(self, run):
        """Replace the draws that changed, then warn about packs running low."""
        if run["replace"]:
            run["replace"].unlink()
        if run["new_draws"]:
            self.env["support.hour.pack.consumption"].sudo().create(run["new_draws"])
        if run["touched"]:
            touched = self.env["support.hour.pack"].sudo().browse(run["touched"])
            touched.flush_recordset(["hours_remaining"])
            touched._send_balance_warnings()

    def _support_line_vals(self, draws, from_pack, hourly, within=0.0):
        """Status and hours of a billable line from the hours settled within a minimum already
        invoiced, its pack draws and its hourly remainder."""
        self.ensure_one()
        status = "pack" if draws else "within_minimum"
        if not float_is_zero(hourly, precision_digits=PRECISION):
            status = self._support_hourly_status()
        billed = float_round(hourly, precision_digits=PRECISION) if status == "to_invoice" else 0.0
        return {
            "support_billing_status": status,
            "support_billed_hours": billed,
            "support_pack_hours": float_round(from_pack, precision_digits=PRECISION),
            "support_minimum_hours": float_round(within, precision_digits=PRECISION),
        }

    # ------------------------------------------------------------------ invoicing
    @api.model
    def _support_check_invoice_period(self, date_from, date_to):
        if date_from and date_to and date_to < date_from:
            raise UserError(
                self.env._(
                    "The invoicing period ends (%(end)s) before it starts (%(start)s).",
                    start=date_from,
                    end=date_to,
                )
            )

    @api.model
    def _get_support_billable_domain(self, partners, date_from, date_to, type_ids=None):
        """The timesheet lines billable and not invoiced yet in the period."""
        domain = [
            ("support_ticket_id", "!=", False),
            ("support_billing_status", "=", "to_invoice"),
            ("support_invoice_line_id", "=", False),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
            ("company_id", "in", self.env.companies.ids),
        ]
        if partners:
            domain.append(("support_partner_id", "in", partners.commercial_partner_id.ids))
        if type_ids:
            domain.append(("support_agreement_type_id", "in", list(type_ids)))
        return domain

    @api.model
    def _support_billable_partners(self, partners, date_from, date_to, type_ids=None):
        """The customers with billable time not invoiced yet in the period."""
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                self._get_support_billable_domain(partners, date_from, date_to, type_ids),
                ["support_partner_id"],
            )
        )
        extra = self._support_extra_only_tickets(partners, date_from, date_to, type_ids)
        ids = {partner.id for (partner,) in groups} | set(extra.commercial_partner_id.ids)
        return self.env["res.partner"].browse(sorted(ids))

    @api.model
    def _support_extra_only_tickets(self, partners, date_from, date_to, type_ids=None, skip=()):
        """Tickets with per-request minimum hours still to invoice and no line to invoice in the
        period, e.g. when a pack paid the logged time but ran out under the minimum: the
        minimum is billed in full, on the invoice of the period of the ticket's last line."""
        line_domain = [
            ("date", ">=", date_from),
            ("date", "<=", date_to),
            ("company_id", "in", self.env.companies.ids),
        ]
        if type_ids:
            line_domain.append(("support_agreement_type_id", "in", list(type_ids)))
        domain = [
            ("hours_extra_to_invoice", ">", 0),
            ("id", "not in", list(skip)),
            ("timesheet_ids", "any", line_domain),
        ]
        if partners:
            domain.append(("commercial_partner_id", "in", partners.commercial_partner_id.ids))
        tickets = self.sudo().search(domain)
        # the period of the ticket's last line
        last = dict(
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                [("support_ticket_id", "in", tickets.ids)], ["support_ticket_id"], ["date:max"]
            )
        )
        return tickets.filtered(lambda t: date_from <= last[t] <= date_to)

    @api.model
    def _support_create_invoices(self, partners, date_from, date_to, type_ids=None):
        """Draft customer invoices for the billable support time of a period.

        One invoice per customer (and company), one line per ticket with its billed hours (the
        period's hourly hours plus any per-request minimum not billed yet), every timesheet
        linked to the line that billed it. The timesheets and tickets are locked first (NOWAIT):
        a concurrent run fails on the lock, or on the serialization check once the first run
        committed, and bills nothing twice. The values come from
        ``res.partner._prepare_support_invoice_values`` and
        ``_prepare_support_invoice_line_values``.
        """
        self.env["account.move"]._support_check_invoicing_rights()
        self._support_check_invoice_period(date_from, date_to)
        groups = (
            self.env["account.analytic.line"]
            .sudo()
            ._read_group(
                self._get_support_billable_domain(partners, date_from, date_to, type_ids),
                ["company_id", "support_partner_id", "support_ticket_id"],
                ["support_billed_hours:sum", "id:array_agg"],
            )
        )
        extra = self._support_extra_only_tickets(
            partners, date_from, date_to, type_ids, skip=[g[2].id for g in groups]
        )
        groups += [
            (ticket.company_id, ticket.commercial_partner_id, ticket, 0.0, []) for ticket in extra
        ]
        if not groups:
            return self.env["account.move"]
        line_ids = [line_id for *_keys, _hours, ids in groups for line_id in ids]
        ticket_ids = sorted({g[2].id for g in groups})
        if line_ids:
            self.env.cr.execute(
                "SELECT id FROM account_analytic_line WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT",
                [tuple(line_ids)],
            )
        self.env.cr.execute(
            "SELECT id FROM support_ticket WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT",
            [tuple(ticket_ids)],
        )
        by_invoice = defaultdict(list)
        for company, partner, ticket, hours, ids in groups:
            by_invoice[(company, partner)].append((ticket, hours, ids))
        moves = self.env["account.move"]
        batch, batch_lines, done = [], 0, 0
        for index, invoice in enumerate(by_invoice.items(), start=1):
            batch.append(invoice)
            batch_lines += len(invoice[1])
            if batch_lines >= INVOICE_BATCH_LINES or index == len(by_invoice):
                moves |= self._support_create_invoice_batch(batch, date_from, date_to)
                done += batch_lines
                batch, batch_lines = [], 0
                _logger.info("Support invoicing: %s of %s tickets invoiced", done, len(groups))
        return moves

    @api.model
    def _support_create_invoice_batch(self, invoices, date_from, date_to):
        """Create, link and re-bill one batch of ``[((company, partner), [(ticket, hours,
        timesheet ids)])]``, then empty the caches: a large run holds one batch in memory."""
        quantity_digits = self.env["account.move.line"]._fields["quantity"].get_digits(self.env)[1]
        tickets = self.sudo().browse(
            [ticket.id for _key, items in invoices for ticket, _hours, _ids in items]
        )
        products = {ticket.id: ticket._support_invoice_product() for ticket in tickets}
        prices = {}
        for company in {company for (company, _partner), _items in invoices}:
            partners = self.env["res.partner"].union(
                *(partner for (comp, partner), _items in invoices if comp == company)
            )
            prices[company] = partners._support_hour_prices(
                self.env["product.product"].union(*products.values()), company
            )
        move_vals = []
        for (company, partner), items in invoices:
            # The customer's document: its texts in the customer's language, whoever runs this.
            origin = self.with_context(lang=partner.lang).env._(
                "Support %(start)s - %(end)s", start=date_from, end=date_to
            )
            currency = False
            lines = []
            for ticket, hours, _ids in items:
                ticket = ticket.with_prefetch(tickets._prefetch_ids)
                price, currency = prices[company][(partner.id, products[ticket.id].id)]
                quantity = float_round(
                    max(hours + ticket.hours_extra_to_invoice, 0.0),
                    precision_digits=quantity_digits,
                )
                lines.append(
                    fields.Command.create(
                        ticket._prepare_support_invoice_line_values(quantity, price, currency)
                    )
                )
            vals = partner._prepare_support_invoice_values(company, currency, origin)
            vals["invoice_line_ids"] = lines
            move_vals.append(vals)
        # The caller's invoicing rights were checked by _support_create_invoices; the invoice
        # lines' links to the tickets are fields only the server writes.
        moves = (
            self.env["account.move"]
            .sudo()
            .with_context(default_move_type="out_invoice")
            .create(move_vals)
            .sudo(False)
        )
        line_by_ticket = {
            line.support_ticket_id.id: line
            for line in moves.sudo().invoice_line_ids
            if line.support_ticket_id
        }
        self._support_link_timesheets(
            [
                (ids, line_by_ticket[ticket.id], ticket)
                for _key, items in invoices
                for ticket, _hours, ids in items
            ]
        )
        tickets._support_recompute_billing()
        self.env.flush_all()
        self.env.invalidate_all()
        return moves

    def _support_invoice_product(self):
        """The product (and so the rate) the ticket's billable hours are invoiced with."""
        self.ensure_one()
        return self._support_invoice_product_for(self.category_id, self._support_billing_type())

    @api.model
    def _support_invoice_product_for(self, category, billing_type):
        """The product billable hours of `category` billed under `billing_type` are invoiced
        with: the category's, else the agreement type's, else the support hour. The portal's
        quote reads the same."""
        return (
            category.hourly_product_id
            or billing_type.hourly_product_id
            or self.env.ref("support_timesheet.product_support_hour")
        )

    def _prepare_support_invoice_line_values(self, quantity, price, currency):
        """Values of the ticket's invoice line: `quantity` hours at `price` in `currency`.

        The line's tax-excluded amount is given up front: Odoo otherwise writes it on each line
        once the invoice's taxes are computed (one write per line, most of the cost of a large
        run). Odoo still computes the taxes and corrects the line where a tax changes its base
        (taxes included in the price).
        """
        self.ensure_one()
        vals = {
            "product_id": self._support_invoice_product().id,
            "name": f"{self.number} - {self.name}",
            "quantity": quantity,
            "price_unit": price,
            "support_ticket_id": self.id,
        }
        if currency == self.company_id.currency_id:
            amount = -currency.round(quantity * price)
            vals.update(amount_currency=amount, balance=amount)
        return vals

    @api.model
    def _support_link_timesheets(self, links):
        """Link each group of timesheets to the invoice line that billed it, in one query.

        ``links``: ``(timesheet ids, invoice line, ticket)`` per invoiced ticket. The link is the
        lock against double billing; one UPDATE instead of a write per ticket keeps the run's
        query count independent of the number of tickets, then the caches are invalidated and
        the dependent fields marked as modified, as an ORM write would.
        """
        fnames = ["support_invoice_line_id", "support_billing_status"]
        self.env.flush_all()
        timesheet_ids, invoice_line_ids = [], []
        for ids, invoice_line, _ticket in links:
            timesheet_ids += ids
            invoice_line_ids += [invoice_line.id] * len(ids)
        # Flat (timesheet, invoice line) pairs, joined on the primary key.
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_analytic_line AS line
                   SET support_invoice_line_id = pair.invoice_line_id,
                       support_billing_status = 'invoiced',
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(timesheet_ids)s::int[], %(invoice_line_ids)s::int[])
                       AS pair(id, invoice_line_id)
                 WHERE line.id = pair.id
                """,
                uid=self.env.uid,
                timesheet_ids=timesheet_ids,
                invoice_line_ids=invoice_line_ids,
            )
        )
        timesheets = self.env["account.analytic.line"].browse(timesheet_ids)
        timesheets.invalidate_recordset(fnames + ["write_uid", "write_date"])
        self.env["account.move.line"].invalidate_model(["support_timesheet_ids"])
        timesheets.modified(fnames)

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
