"""Service levels of a ticket: the policy that applies, its response and resolution deadlines in
business hours (the company's working calendar and its global leaves), the pause while the
ticket waits for the customer, the first answer, the states and the escalation job.

Deadlines are stored and computed in batch (one read of the calendar's intervals per calendar,
whatever the number of tickets) from the time the server received the request (``create_date``).
Time spent in a stage that stops the clock (waiting for the customer, resolved, cancelled) is
counted in business hours when the ticket moves on, and the deadlines move by it.
"""

from bisect import bisect_right
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup
from pytz import utc

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

SLA_STATES = [
    ("running", "Running"),
    ("paused", "Paused"),
    ("met", "Met"),
    ("breached", "Breached"),
]
# Share of a target after which the assignee is warned.
SLA_WARN_RATIO = 0.75
# How far the deadline arithmetic looks ahead at first (it widens the window when needed).
SLA_WINDOW_DAYS = 42
SLA_MAX_WINDOW_DAYS = 3 * 366
SLA_CLOCKS = ("response", "resolution")
# What the escalation job remembers it sent, per clock (reset when the deadline moves).
SLA_FLAGS = tuple(f"sla_{clock}_{kind}" for clock in SLA_CLOCKS for kind in ("warned", "escalated"))


class SupportTicketStage(models.Model):
    _inherit = "support.ticket.stage"

    is_sla_paused = fields.Boolean(
        string="Waiting for Customer",
        help="The service level clock stops while a ticket is in this stage: its deadlines "
        "move by the business time it spends here.",
    )


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    sla_type_id = fields.Many2one(
        "support.agreement.type",
        string="Service Level Agreement Type",
        compute="_compute_sla_policy_id",
        store=True,
        index="btree_not_null",
        help="The type of the agreement whose service levels apply (empty: On-Demand work).",
    )
    sla_policy_id = fields.Many2one(
        "support.sla.policy",
        string="Service Level Policy",
        compute="_compute_sla_policy_id",
        store=True,
        tracking=True,
        index="btree_not_null",
    )
    sla_response_deadline = fields.Datetime(
        string="Answer By",
        compute="_compute_sla_deadlines",
        store=True,
        tracking=True,
        index="btree_not_null",
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolve By",
        compute="_compute_sla_deadlines",
        store=True,
        tracking=True,
        index="btree_not_null",
    )
    sla_response_warn_date = fields.Datetime(
        string="Answer At Risk From", compute="_compute_sla_deadlines", store=True
    )
    sla_resolution_warn_date = fields.Datetime(
        string="Resolution At Risk From", compute="_compute_sla_deadlines", store=True
    )
    date_first_response = fields.Datetime(
        string="First Response",
        copy=False,
        readonly=True,
        help="When the support team first wrote to the customer (a message to the followers, "
        "an e-mail or a portal reply; internal notes do not count).",
    )
    sla_response_state = fields.Selection(
        SLA_STATES,
        string="Response Target",
        compute="_compute_sla_states",
        store=True,
        index=True,
    )
    sla_resolution_state = fields.Selection(
        SLA_STATES,
        string="Resolution Target",
        compute="_compute_sla_states",
        store=True,
        index=True,
    )
    sla_at_risk = fields.Boolean(
        string="Service Level At Risk",
        compute="_compute_sla_at_risk",
        search="_search_sla_at_risk",
        help="A running target has used three quarters of its time.",
    )
    # --- Bookkeeping of the engine (protected) ------------------------------------------------
    sla_pause_start = fields.Datetime(
        string="Clock Stopped Since", copy=False, readonly=True, index="btree_not_null"
    )
    sla_response_paused_hours = fields.Float(
        string="Response Hours Paused", copy=False, readonly=True
    )
    sla_resolution_paused_hours = fields.Float(
        string="Resolution Hours Paused", copy=False, readonly=True
    )
    sla_response_deadline_manual = fields.Datetime(
        string="Answer By (Set by Manager)", copy=False, readonly=True
    )
    sla_resolution_deadline_manual = fields.Datetime(
        string="Resolve By (Set by Manager)", copy=False, readonly=True
    )
    sla_response_warned = fields.Boolean(string="Response Warning Sent", copy=False, readonly=True)
    sla_resolution_warned = fields.Boolean(
        string="Resolution Warning Sent", copy=False, readonly=True
    )
    sla_response_escalated = fields.Boolean(
        string="Response Escalation Sent", copy=False, readonly=True
    )
    sla_resolution_escalated = fields.Boolean(
        string="Resolution Escalation Sent", copy=False, readonly=True
    )

    def _support_protected_fields(self):
        """The service level engine owns these: a manager moves a deadline through
        ``action_sla_change_deadline`` (with a reason), nobody writes them directly."""
        return super()._support_protected_fields() | {
            "sla_type_id",
            "sla_policy_id",
            "sla_response_deadline",
            "sla_resolution_deadline",
            "sla_response_warn_date",
            "sla_resolution_warn_date",
            "date_first_response",
            "sla_response_state",
            "sla_resolution_state",
            "sla_pause_start",
            "sla_response_paused_hours",
            "sla_resolution_paused_hours",
            "sla_response_deadline_manual",
            "sla_resolution_deadline_manual",
            "sla_response_warned",
            "sla_resolution_warned",
            "sla_response_escalated",
            "sla_resolution_escalated",
        }

    # --- Policy -------------------------------------------------------------------------------
    def _sla_agreement_type(self):
        """The agreement type whose service levels apply: the covering agreement's, or the
        deciding one's when it was charged only for its outcome (the agreement did answer it)."""
        self.ensure_one()
        if self.coverage_agreement_id:
            return self.coverage_agreement_id.type_id
        if self.coverage_cause == "charged_outcome":
            return self.coverage_deciding_agreement_id.type_id
        return self.env["support.agreement.type"]

    @api.depends(
        "company_id",
        "priority",
        "category_id",
        "coverage_agreement_id",
        "coverage_cause",
        "coverage_deciding_agreement_id",
    )
    def _compute_sla_policy_id(self):
        # A resolved ticket keeps the policy it was measured against (a later re-decision of
        # its coverage does not re-measure it): read the stored one before it is replaced.
        closed_ids = tuple(ticket.id for ticket in self if ticket.id and ticket.is_closed)
        frozen = {}
        if closed_ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id, sla_type_id, sla_policy_id FROM support_ticket "
                    "WHERE id IN %s AND sla_policy_id IS NOT NULL",
                    closed_ids,
                )
            )
            frozen = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        keys = {}
        for ticket in self:
            if ticket.id in frozen:
                continue
            sla_type = ticket.sudo()._sla_agreement_type()
            keys[ticket] = (
                ticket.company_id.id,
                sla_type.id,
                ticket.priority,
                ticket.category_id.id,
            )
        policies = self.env["support.sla.policy"]._match_policies(keys.values())
        for ticket in self:
            if ticket.id in frozen:
                type_id, policy_id = frozen[ticket.id]
                ticket.sla_type_id = type_id
                ticket.sla_policy_id = policy_id
                continue
            ticket.sla_type_id = keys[ticket][1]
            ticket.sla_policy_id = policies[keys[ticket]]

    @api.model
    def _sla_reapply_policies(self):
        """After a change of the policies: the open tickets take the policy that matches now
        and its targets (resolved and cancelled tickets keep what they were measured against)."""
        tickets = (
            self.sudo()
            .with_context(active_test=False)
            .search([("is_closed", "=", False), ("is_cancelled", "=", False)])
        )
        if not tickets:
            return
        fnames = (
            "sla_type_id",
            "sla_policy_id",
            "sla_response_deadline",
            "sla_resolution_deadline",
            "sla_response_warn_date",
            "sla_resolution_warn_date",
        )
        flagged = tickets._sla_flagged_deadlines()
        for fname in fnames:
            self.env.add_to_compute(self._fields[fname], tickets)
        tickets.flush_recordset(list(fnames))
        if flagged:
            tickets._sla_reset_flags(flagged)

    # --- Deadlines ----------------------------------------------------------------------------
    def _sla_start(self):
        """When the request was received by the server (not the date a user typed)."""
        self.ensure_one()
        return self.create_date or self.env.cr.now()

    @api.depends(
        "sla_policy_id",
        "company_id.resource_calendar_id",
        "sla_response_paused_hours",
        "sla_resolution_paused_hours",
        "sla_response_deadline_manual",
        "sla_resolution_deadline_manual",
    )
    def _compute_sla_deadlines(self):
        plans = []
        for ticket in self:
            policy = ticket.sla_policy_id.sudo()
            calendar = ticket.company_id.sudo().resource_calendar_id
            if not policy or not calendar:
                continue
            start = ticket._sla_start()
            for clock in SLA_CLOCKS:
                target = policy[f"{clock}_hours"] + ticket[f"sla_{clock}_paused_hours"]
                manual = ticket[f"sla_{clock}_deadline_manual"]
                plans.append((ticket, clock, calendar, start, target, manual))
        # Manual deadlines: the business hours they give, to place their warning.
        manual_hours = self._sla_business_hours(
            [(calendar, start, manual) for _t, _c, calendar, start, _h, manual in plans if manual]
        )
        manual_hours = iter(manual_hours)
        requests = []
        for _ticket, _clock, calendar, start, target, manual in plans:
            total = next(manual_hours) if manual else target
            requests.append((calendar, start, target))
            requests.append((calendar, start, total * SLA_WARN_RATIO))
        dates = iter(self._sla_plan(requests))
        self.sla_response_deadline = self.sla_resolution_deadline = False
        self.sla_response_warn_date = self.sla_resolution_warn_date = False
        for ticket, clock, _calendar, _start, _target, manual in plans:
            deadline, warn = next(dates), next(dates)
            ticket[f"sla_{clock}_deadline"] = manual or deadline
            ticket[f"sla_{clock}_warn_date"] = warn

    @api.model
    def _sla_intervals(self, calendar, date_from, date_to):
        """The calendar's business intervals (attendances less its global leaves) between two
        naive UTC datetimes, as sorted naive UTC ``(start, stop)`` pairs."""
        intervals = calendar._work_intervals_batch(utc.localize(date_from), utc.localize(date_to))[
            False
        ]
        return [
            (start.astimezone(utc).replace(tzinfo=None), stop.astimezone(utc).replace(tzinfo=None))
            for start, stop, _meta in intervals
        ]

    @api.model
    def _sla_plan(self, requests):
        """The moment ``hours`` business hours after ``start`` for each ``(calendar, start,
        hours)`` (naive UTC), with one read of intervals per calendar (a wider one when the
        first is too short). False when the calendar has no such time within three years."""
        answers = [None] * len(requests)
        by_calendar = {}
        for index, (calendar, _start, _value) in enumerate(requests):
            by_calendar.setdefault(calendar, []).append(index)
        for calendar, indexes in by_calendar.items():
            days = SLA_WINDOW_DAYS
            todo = indexes
            while todo and days <= SLA_MAX_WINDOW_DAYS:
                date_from = min(requests[i][1] for i in todo)
                date_to = max(requests[i][1] for i in todo) + timedelta(days=days)
                intervals = self._sla_intervals(calendar, date_from, date_to)
                stops = [stop for _start, stop in intervals]
                for index in todo:
                    answers[index] = self._sla_walk(intervals, stops, *requests[index][1:])
                todo = [index for index in todo if answers[index] is None]
                days *= 4
        return [answer or False for answer in answers]

    @api.model
    def _sla_walk(self, intervals, stops, start, hours):
        """``hours`` business hours after ``start`` in ``intervals`` (None: not within them)."""
        remaining = hours * 3600.0
        for interval_start, stop in intervals[bisect_right(stops, start) :]:
            interval_start = max(interval_start, start)
            seconds = (stop - interval_start).total_seconds()
            if remaining <= seconds:
                return (interval_start + timedelta(seconds=remaining)).replace(microsecond=0)
            remaining -= seconds
        return None

    @api.model
    def _sla_business_hours(self, requests):
        """Business hours between ``start`` and ``end`` for each ``(calendar, start, end)``
        (naive UTC), with one read of intervals per calendar."""
        answers = [0.0] * len(requests)
        by_calendar = {}
        for index, (calendar, start, end) in enumerate(requests):
            if end > start:
                by_calendar.setdefault(calendar, []).append(index)
        for calendar, indexes in by_calendar.items():
            intervals = self._sla_intervals(
                calendar,
                min(requests[i][1] for i in indexes),
                max(requests[i][2] for i in indexes),
            )
            stops = [stop for _start, stop in intervals]
            for index in indexes:
                _calendar, start, end = requests[index]
                seconds = 0.0
                for interval_start, stop in intervals[bisect_right(stops, start) :]:
                    if interval_start >= end:
                        break
                    seconds += (min(stop, end) - max(interval_start, start)).total_seconds()
                answers[index] = seconds / 3600.0
        return answers

    # --- States -------------------------------------------------------------------------------
    @api.model
    def _sla_clock_state(self, deadline, done, paused_since, now):
        """``met``/``breached`` once done (on time or not); while not done ``paused`` when the
        clock is stopped (unless it had already run out), else ``running`` until the deadline
        passes."""
        if not deadline:
            return False
        if done:
            return "met" if done <= deadline else "breached"
        if paused_since:
            return "breached" if deadline < paused_since else "paused"
        return "breached" if now > deadline else "running"

    @api.depends(
        "sla_response_deadline",
        "sla_resolution_deadline",
        "date_first_response",
        "date_resolved",
        "is_closed",
        "is_cancelled",
        "sla_pause_start",
    )
    def _compute_sla_states(self):
        now = fields.Datetime.now()
        for ticket in self:
            if ticket.is_cancelled:
                ticket.sla_response_state = ticket.sla_resolution_state = False
                continue
            resolved = ticket.is_closed and ticket.date_resolved
            # Resolving a request answers it, when nobody wrote before.
            answered = ticket.date_first_response or resolved
            paused_since = ticket.sla_pause_start
            ticket.sla_response_state = self._sla_clock_state(
                ticket.sla_response_deadline, answered, paused_since, now
            )
            ticket.sla_resolution_state = self._sla_clock_state(
                ticket.sla_resolution_deadline, resolved, paused_since, now
            )

    @api.depends(
        "sla_response_state",
        "sla_resolution_state",
        "sla_response_warn_date",
        "sla_resolution_warn_date",
    )
    def _compute_sla_at_risk(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.sla_at_risk = any(
                ticket[f"sla_{clock}_state"] == "running"
                and ticket[f"sla_{clock}_warn_date"]
                and ticket[f"sla_{clock}_warn_date"] <= now
                for clock in SLA_CLOCKS
            )

    def _search_sla_at_risk(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        now = fields.Datetime.now()
        domain = Domain.OR(
            Domain(f"sla_{clock}_state", "=", "running")
            & Domain(f"sla_{clock}_warn_date", "<=", now)
            for clock in SLA_CLOCKS
        )
        return domain if (operator == "=") == value else ~domain

    # --- The clock stops and resumes ----------------------------------------------------------
    @api.model
    def _sla_stage_stops_clock(self, stage):
        return bool(stage.is_sla_paused or stage.is_closed or stage.is_cancelled)

    def _sla_update_clock(self, now):
        """After a change of stage: stop the clock of the tickets that entered a stage that
        stops it, and resume the others, their deadlines moved by the business time spent."""
        tickets = self.sudo()
        stopping = tickets.filtered(
            lambda t: not t.sla_pause_start and self._sla_stage_stops_clock(t.stage_id)
        )
        resuming = tickets.filtered(
            lambda t: t.sla_pause_start and not self._sla_stage_stops_clock(t.stage_id)
        )
        if stopping:
            stopping.sla_pause_start = now
        if not resuming:
            return
        calendars = {t: t.company_id.resource_calendar_id for t in resuming}
        spent = resuming._sla_business_hours(
            [(calendars[t], t.sla_pause_start, now) for t in resuming]
        )
        shifts = []
        for ticket, hours in zip(resuming, spent, strict=True):
            for clock in SLA_CLOCKS:
                manual = ticket[f"sla_{clock}_deadline_manual"]
                if manual and hours:
                    shifts.append((calendars[ticket], manual, hours))
        shifted = iter(self._sla_plan(shifts))
        for ticket, hours in zip(resuming, spent, strict=True):
            vals = {"sla_pause_start": False}
            for clock in SLA_CLOCKS:
                if clock == "response" and ticket.date_first_response:
                    continue
                vals[f"sla_{clock}_paused_hours"] = ticket[f"sla_{clock}_paused_hours"] + hours
            for clock in SLA_CLOCKS:
                if ticket[f"sla_{clock}_deadline_manual"] and hours:
                    vals[f"sla_{clock}_deadline_manual"] = next(shifted)
            ticket.write(vals)

    # --- First response -----------------------------------------------------------------------
    def _sla_is_team_answer(self, message):
        """A message the customer sees, written by the support team: a message to the
        followers, an e-mail or a portal reply by an internal user; not an internal note, not a
        notification, not a notice the system sends in the company's name."""
        message = message.sudo()
        author = message.author_id
        return bool(
            message.message_type in ("comment", "email")
            and message.subtype_id
            and not message.subtype_id.internal
            and not message.is_internal
            and author
            and author != self.sudo().company_id.partner_id
            and any(not user.share for user in author.user_ids)
        )

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if not self.date_first_response and self._sla_is_team_answer(message):
            # The server's time, not the message's date (an e-mail's Date header is the
            # sender's word).
            self.sudo().date_first_response = fields.Datetime.now()
        return res

    # --- CRUD ---------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._sla_update_clock(self.env.cr.now())
        return tickets

    def write(self, vals):
        if self and {"priority", "category_id"} & set(vals):
            # A new priority or category re-applies the policy: a manager's deadline goes.
            changed = self.filtered(
                lambda t: any(
                    self._fields[f].convert_to_write(t[f], t) != (vals[f] or False)
                    for f in ("priority", "category_id")
                    if f in vals
                )
                and (t.sla_response_deadline_manual or t.sla_resolution_deadline_manual)
            )
            if changed:
                changed.sudo().write(
                    {"sla_response_deadline_manual": False, "sla_resolution_deadline_manual": False}
                )
        flagged = {} if set(vals) <= set(SLA_FLAGS) else self._sla_flagged_deadlines()
        res = super().write(vals)
        if "stage_id" in vals:
            self._sla_update_clock(fields.Datetime.now())
        if flagged:
            self._sla_reset_flags(flagged)
        return res

    # --- Warnings follow the deadline ---------------------------------------------------------
    def _sla_flagged_deadlines(self):
        """``{ticket id: {clock: deadline}}`` of the tickets already warned or escalated."""
        return {
            ticket.id: {clock: ticket[f"sla_{clock}_deadline"] for clock in SLA_CLOCKS}
            for ticket in self
            if any(ticket[flag] for flag in SLA_FLAGS)
        }

    def _sla_reset_flags(self, before):
        """A deadline that moved gets its warning and escalation again: a clock warned or
        escalated for its old deadline is warned again when its new warning time is still to
        come, and escalated again when its new deadline is still to come."""
        now = fields.Datetime.now()
        resets = defaultdict(list)
        for ticket in self.browse(list(before)).exists():
            vals = {}
            for clock in SLA_CLOCKS:
                deadline = ticket[f"sla_{clock}_deadline"]
                if deadline == before[ticket.id][clock]:
                    continue
                warn_date = ticket[f"sla_{clock}_warn_date"]
                if ticket[f"sla_{clock}_warned"] and (not warn_date or warn_date > now):
                    vals[f"sla_{clock}_warned"] = False
                if ticket[f"sla_{clock}_escalated"] and (not deadline or deadline > now):
                    vals[f"sla_{clock}_escalated"] = False
            if vals:
                resets[tuple(sorted(vals))].append(ticket.id)
        for fnames, ids in resets.items():
            self.browse(ids).sudo().write(dict.fromkeys(fnames, False))

    # --- A manager moves a deadline -----------------------------------------------------------
    def action_sla_change_deadline(self):
        """Open the form where a Support Manager moves the deadlines, with a reason."""
        self.ensure_one()
        self._sla_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Service Level Deadlines"),
            "res_model": "support.sla.deadline.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def _sla_check_manager(self):
        if not self.env.user.has_group("support_contract.group_support_manager"):
            raise AccessError(
                self.env._("Only a Support Manager can move the service level deadlines.")
            )

    def _sla_set_deadlines(self, response_deadline, resolution_deadline, reason):
        """Set the deadlines of this ticket (the manager's change, kept until the policy is
        re-applied), with the reason in the chatter. Checks the caller is a Support Manager."""
        self.ensure_one()
        self._sla_check_manager()
        self.check_access("write")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Write the reason for moving the deadline."))
        vals = {}
        if response_deadline and response_deadline != self.sla_response_deadline:
            vals["sla_response_deadline_manual"] = response_deadline
        if resolution_deadline and resolution_deadline != self.sla_resolution_deadline:
            vals["sla_resolution_deadline_manual"] = resolution_deadline
        if not vals:
            return False
        self.sudo().write(vals)
        self.message_post(
            body=Markup("%s<br/>%s") % (self.env._("Service level deadline moved."), reason),
            subtype_xmlid="mail.mt_note",
        )
        return True

    # --- What the customer is told ------------------------------------------------------------
    @api.model
    def _sla_preview_response_deadline(self, company, agreement_type, priority, category):
        """When a request received now would be answered at the latest (naive UTC), by the
        same policy match and calendar arithmetic as a ticket; False without a policy."""
        key = (company.id, agreement_type.id, priority or "0", category.id)
        policy = self.env["support.sla.policy"]._match_policies([key])[key].sudo()
        calendar = company.sudo().resource_calendar_id
        if not policy or not calendar:
            return False
        start = fields.Datetime.now()
        return self._sla_plan([(calendar, start, policy.response_hours)])[0]

    def _sla_customer_time(self, moment, partner=None):
        """A deadline as the customer reads it, in the reader's language and the customer's
        time zone (else the company calendar's): "Monday 11:30", with the date when it is more
        than six days away."""
        if not moment:
            return ""
        partner = partner or self.env.user.partner_id
        company = self[:1].company_id or self.env.company
        tz = partner.tz or company.sudo().resource_calendar_id.tz or "UTC"
        pattern = "EEEE HH:mm"
        if moment - fields.Datetime.now() > timedelta(days=6):
            pattern = "EEEE d MMMM HH:mm"
        return format_datetime(self.env, moment, tz=tz, dt_format=pattern)
