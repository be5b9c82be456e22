# The billing engine: a ticket's time billed as covered, drawn from packs, to invoice or held.
import dataclasses
import datetime
from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, float_compare, float_is_zero, float_round

from .support_billing_mixin import lock_rows_sql
from .support_ticket import HOURS_SUMS, PRECISION, _round_billed


def _insert_fetched(model, fnames, rows):
    """Put values read by a query of the engine (``[(id, value, ...)]`` in the order of
    `fnames`) in the cache of `model`'s records, where they have none yet: the ORM then reads
    them without a query of its own."""
    rows = [row for row in rows if row[0]]
    if not rows:
        return
    records = model.browse([row[0] for row in rows])
    for index, fname in enumerate(fnames, start=1):
        field = model._fields[fname]
        field._insert_cache(records, [field.convert_to_cache(row[index], records) for row in rows])


@dataclasses.dataclass
class SupportTicketTotals:
    """A ticket's running totals in a billing pass (``support.ticket._support_bill``)."""

    billable: float = 0.0
    """Hours counted toward the per-request minimum and rounding (invoiced or not covered)."""
    invoiced_lines: float = 0.0
    """Hours billed hourly on the ticket's invoiced lines."""
    held: float = 0.0
    """Hours awaiting the customer's approval (cost control)."""
    last_date: datetime.date | bool = False
    """Date of the ticket's last line (the ticket's extra hours draw on it)."""
    logged: float = 0.0
    """Hours logged on the lines (the ticket's ``hours_logged``)."""
    to_invoice: float = 0.0
    """Billed hours of the lines still to invoice (of the ticket's ``hours_to_invoice``)."""


@dataclasses.dataclass
class SupportExtraHours:
    """The per-request minimum and rounding of a ticket (``_support_extra_hours``)."""

    billed: float
    """The billable total after the minimum and rounding."""
    extra: float
    """Hours the minimum and rounding add to the billable total."""
    to_invoice: float
    """Of those, hours still to invoice (after the pack draw)."""
    held: float
    """Of those, hours awaiting the customer's approval."""
    draws: list
    """Their pack draws ``[(pack id, hours)]``."""


class SupportBillingPass:
    """The state of one billing pass, read by ``_support_billing_load`` for all its tickets.

    What the pass read:
    ``lines``: {ticket id: its lines to bill, by date};
    ``packs``: {(customer id, company id): the packs in draw order};
    ``remaining``: {pack id: hours left, without the draws being redone, less those taken so
    far in the pass}; ``movable``: the draws being redone (``support.hour.pack.consumption``);
    ``old_draws``: {draw key: [(pack id, hours)]} of those; ``base``: {ticket id:
    ``SupportTicketTotals`` of its lines before the new ones} (an incremental pass, then
    ``incremental`` is set); ``drawn``: {ticket id: hours of its draws} (incremental).

    What it collects for ``_support_billing_save``, the draws only through ``record_draws``:
    ``replace`` (draws to delete), ``new_draws`` (values of draws to create), ``touched``
    (ids of the packs drawn from), ``used`` ({pack id: hours its draws change by}), ``drawn``
    kept up to date, ``totals`` ({ticket id: its ``SupportTicketTotals``}) and ``ticket_vals``
    ({ticket id: the values the engine decided, ``_support_totals_vals``}).
    """

    def __init__(self, lines, packs, remaining, movable, old_draws, base=None, drawn=None):
        self.lines = lines
        self.packs = packs
        self.remaining = remaining
        self.movable = movable
        self.old_draws = old_draws
        self.incremental = base is not None
        self.base = base or {}
        self.drawn = defaultdict(float, drawn or {})
        self.replace = movable.browse()
        self.new_draws = []
        self.touched = set()
        self.used = defaultdict(float)
        self.totals = {}
        self.ticket_vals = {}

    def record_draws(self, ticket, key, line, date, draws):
        """Take `draws` ([(pack id, hours)]) of `line` (or of the ticket's extra hours, `key`
        ``("extra", ticket id)``) off the packs' balances, and replace the line's draws of
        before if they differ."""
        for pack_id, hours in draws:
            self.remaining[pack_id] -= hours
        if sorted(self.old_draws.get(key, [])) == sorted(draws):
            return
        replaced = self.movable.filtered(lambda c: c._support_draw_key() == key)
        self.replace |= replaced
        for consumption in replaced:
            self.used[consumption.pack_id.id] -= consumption.hours
            self.drawn[consumption.ticket_id.id] -= consumption.hours
        for pack_id, hours in draws:
            self.used[pack_id] += hours
            self.drawn[ticket.id] += hours
        self.touched.update(pack_id for pack_id, _hours in draws)
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


# What a billing pass reads and writes of the tickets' lines.
LINE_BILLING_FIELDS = [
    "support_ticket_id",
    "date",
    "unit_amount",
    "support_invoice_line_id",
    "support_billing_status",
    "support_billed_hours",
    "support_pack_hours",
    "support_minimum_hours",
]


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    @api.model
    def _support_default_type(self, company=None):
        """The agreement type that bills requests no agreement covers (a company setting)."""
        return (company or self.env.company).sudo().support_default_type_id

    def _support_billing_type(self):
        """The agreement type whose minimum, rounding and rate bill the ticket."""
        self.ensure_one()
        return self.coverage_agreement_id.type_id or self._support_default_type(self.company_id)

    # ------------------------------------------------------------------ the pass
    def _support_recompute_billing(self):
        """Bring the billing of the tickets' time in line with their decision (a full pass).

        Lines already linked to an invoice keep their status and pack draws; every other line of
        the tickets is re-billed: covered, drawn from the customer's valid packs (in the packs'
        draw order, by the date of the work), then hourly (to invoice), or held for approval
        when the customer is under cost control. A fixed number of queries, plus one write per
        line whose billing changed.
        """
        return self._support_billing_pass()

    def _support_bill_new_lines(self, new_lines):
        """Bill time just logged on the tickets, at a cost that does not grow with them.

        Draws are first come, first served by date, so the lines dated before a new line keep
        their billing: each ticket is billed from the position of its earliest new line on,
        starting from the running totals of the lines before it (one aggregate query). A line
        logged after all the others (the usual case) bills just itself and the extra hours.
        The tickets are those of `new_lines` (just created, so they exist).
        """
        return self._support_billing_pass(new_lines=new_lines)

    def _support_billing_pass(self, new_lines=None):
        """The one orchestrator of a billing pass: lock, load, bill each ticket, save.

        Full pass without `new_lines`; with them, each ticket is billed from its earliest new
        line on (see ``_support_bill_new_lines``). The steps are hooks an integrator overrides
        one at a time, each taking and returning what it uses (the pass's state is a
        ``SupportBillingPass``; only this orchestrator and ``_support_bill`` record draws and
        add up totals, so an override that does not call ``super()`` loses neither):
        ``_support_billing_load`` (what the pass reads), ``_support_packs_to_draw`` (the packs
        a ticket draws from, in order), ``_support_draw`` (one draw), ``_support_bill_line`` (a
        line's values and draws), ``_support_hourly_status`` (held, refused or to invoice),
        ``_support_extra_hours`` (the per-request minimum and rounding),
        ``_support_totals_vals`` (the ticket's values) and ``_support_billing_save``.
        """
        tickets = self.sudo() if new_lines is not None else self.sudo().exists()
        if not tickets:
            return True
        base = invoiced = later_ids = draw_ids = drawn = None
        if new_lines is None:
            tickets._support_lock_billing()
        else:  # _support_billing_base locks the tickets in the round trip of its query
            new_lines = new_lines.sudo().filtered("support_ticket_id")
            positions = {}
            for line in new_lines:
                ticket_id = line.support_ticket_id.id
                positions[ticket_id] = min(positions.get(ticket_id, line.date), line.date)
            base, invoiced, later_ids, draw_ids, drawn = tickets._support_billing_base(
                new_lines, positions
            )
            # An invoiced minimum beyond the invoiced lines settles later work in the order of
            # the lines (_support_minimum_credit): such tickets get the full pass.
            full = tickets.filtered(
                lambda t: t.id in base
                and float_compare(t.hours_invoiced - invoiced[t.id], 0, PRECISION) > 0
            )
            if full:
                full._support_billing_pass()
                tickets -= full
            if not tickets:
                return True
        billing_pass = tickets._support_billing_load(
            new_lines=new_lines,
            base=base,
            later_ids=later_ids or (),
            draw_ids=draw_ids or (),
            drawn=drawn,
        )
        for ticket in tickets:
            ticket._support_bill(billing_pass)
        tickets._support_billing_save(billing_pass)
        return True

    def _support_lock_billing(self, block_new_time=False):
        """Lock the tickets' rows against concurrent writers of their billing (an approval,
        more time, an invoicing run, a credit note): the second one fails at once (NOWAIT) and
        Odoo retries it. The one home of the ticket lock.

        By default a NO KEY UPDATE lock: time can still be logged against the tickets meanwhile
        (a new line only takes a key share lock); `block_new_time` (an invoicing run) takes the
        full row lock, so time logged meanwhile waits for the run.
        """
        if self.ids:
            self.env.cr.execute(self._support_lock_billing_sql(block_new_time))

    def _support_lock_billing_sql(self, block_new_time=False):
        """The statement of ``_support_lock_billing``."""
        where = SQL("id IN %s", tuple(self.ids))
        return lock_rows_sql(self._table, where, no_key=not block_new_time)

    def _support_pack_customers(self):
        """``(customers, companies)`` whose packs the tickets' billable time may draw from (the
        packs the pass reads and locks)."""
        billable = self.filtered(lambda t: t.coverage != "covered")
        return billable.commercial_partner_id, billable.company_id

    def _support_billing_base(self, new_lines, positions):
        """What billing from the positions (ticket id: the date of its earliest new line; new
        lines come after older ones of the same date) starts from, in one query, `new_lines`
        left out: ``(base, invoiced, later line ids, draw ids, drawn)``.

        The same round trip first locks the tickets (``_support_lock_billing``) and the packs of
        their customers (``support.hour.pack._lock_for_update``), and reads what the pass reads
        of the tickets' categories, billing types and customers (their cache is filled, not
        overwritten): logging a line pays one query for all of it.

        ``base``: {ticket id: ``SupportTicketTotals``, the engine's running totals over the
        ticket's lines dated up to its position}; tickets without other lines are left out.
        ``invoiced``: {ticket id: the billed hours of all its invoiced lines}. Then the ids of
        the tickets' lines dated after their position (billed again), and of the draws that may
        be redone: those of these lines and of the new ones, and the tickets' draws for their
        extra hours. ``drawn``: {ticket id: the hours of all its draws}.
        """
        self.env["account.analytic.line"].flush_model(
            ["support_ticket_id", "unit_amount", "date", "support_billing_status"]
            + ["support_billed_hours", "support_pack_hours", "support_minimum_hours"]
            + ["support_invoice_line_id"]
        )
        self.env["support.hour.pack.consumption"].flush_model(
            ["ticket_id", "timesheet_id", "hours"]
        )
        tickets = self.browse(positions)
        ticket_positions = SQL(", ").join(
            SQL(
                "(%s, %s::date, %s::int, %s::int, %s::int)",
                ticket.id,
                positions[ticket.id],
                ticket.category_id.id or None,
                ticket._support_billing_type().id or None,
                ticket.commercial_partner_id.id or None,
            )
            for ticket in tickets
        )
        statements = [tickets._support_lock_billing_sql()]
        customers, companies = self._support_pack_customers()
        if customers:
            statements.append(
                self.env["support.hour.pack"]._support_lock_sql_for(customers, companies)
            )
        query = SQL(
            """SELECT pos.ticket_id, agg.count, agg.last, agg.invoiced, agg.invoiced_billed,
                          agg.open_hours, agg.held, agg.all_invoiced, agg.later_ids, draws.ids,
                          cat.id, cat.draws_from_packs, typ.id, typ.min_billed_hours,
                          typ.rounding_step, cust.id, cust.support_cost_control,
                          cust.support_pack_warning_hours, agg.logged, agg.to_invoice,
                          draws.hours
                     FROM (VALUES %(positions)s)
                              AS pos(ticket_id, date, category_id, type_id, customer_id)
                          LEFT JOIN support_service_category cat ON cat.id = pos.category_id
                          LEFT JOIN support_agreement_type typ ON typ.id = pos.type_id
                          LEFT JOIN res_partner cust ON cust.id = pos.customer_id,
                          LATERAL (
                            SELECT COUNT(*) AS count,
                                   MAX(line.date) FILTER (WHERE is_before) AS last,
                                   SUM(unit_amount) FILTER (WHERE is_before AND is_invoiced)
                                       AS invoiced,
                                   SUM(COALESCE(support_billed_hours, 0))
                                       FILTER (WHERE is_before AND is_invoiced) AS invoiced_billed,
                                   SUM(unit_amount) FILTER (WHERE is_before AND NOT is_invoiced)
                                       AS open_hours,
                                   SUM(%(held)s) FILTER (WHERE is_before AND NOT is_invoiced)
                                       AS held,
                                   SUM(COALESCE(support_billed_hours, 0)) FILTER (WHERE is_invoiced)
                                       AS all_invoiced,
                                   SUM(unit_amount) FILTER (WHERE is_before) AS logged,
                                   SUM(%(to_invoice)s) FILTER (WHERE is_before) AS to_invoice,
                                   ARRAY_AGG(line.id) FILTER (WHERE NOT is_before) AS later_ids
                              FROM account_analytic_line line,
                                   LATERAL (SELECT line.date <= pos.date AS is_before,
                                                   line.support_invoice_line_id IS NOT NULL
                                                       AS is_invoiced) f
                             WHERE line.support_ticket_id = pos.ticket_id
                               AND line.id NOT IN %(new_ids)s
                          ) agg,
                          LATERAL (
                            SELECT ARRAY_AGG(draw.id) FILTER (
                                       WHERE draw.timesheet_id IS NULL
                                          OR draw.timesheet_id IN %(new_ids)s
                                          OR draw.timesheet_id = ANY(agg.later_ids)
                                   ) AS ids,
                                   SUM(draw.hours) AS hours
                              FROM support_hour_pack_consumption draw
                             WHERE draw.ticket_id = pos.ticket_id
                          ) draws""",
            positions=ticket_positions,
            new_ids=tuple(new_lines.ids) or (0,),
            held=self.env["account.analytic.line"]._support_held_hours_sql("line"),
            to_invoice=self.env["account.analytic.line"]._support_to_invoice_hours_sql("line"),
        )
        self.env.cr.execute(SQL("; ").join([*statements, query]))
        rows = self.env.cr.fetchall()
        for model, fnames, start in (
            ("support.service.category", ["draws_from_packs"], 10),
            ("support.agreement.type", ["min_billed_hours", "rounding_step"], 12),
            ("res.partner", ["support_cost_control", "support_pack_warning_hours"], 15),
        ):
            rows_of = [row[start : start + len(fnames) + 1] for row in rows]
            _insert_fetched(self.env[model].sudo(), fnames, rows_of)
        base, invoiced, later_ids, draw_ids, drawn = {}, {}, [], [], {}
        for row in rows:
            ticket_id, count, last, invoiced_hours, invoiced_billed, open_hours, held = row[:7]
            all_invoiced, later, draws = row[7:10]
            logged, to_invoice, drawn[ticket_id] = row[18:21]
            later_ids += later or []
            draw_ids += draws or []
            drawn[ticket_id] = drawn[ticket_id] or 0.0
            if not count:
                continue
            # As the full pass counts them: invoiced lines, and the others unless covered.
            billable = invoiced_hours or 0.0
            if self.browse(ticket_id).coverage != "covered":
                billable += open_hours or 0.0
            base[ticket_id] = SupportTicketTotals(
                billable=billable,
                invoiced_lines=invoiced_billed or 0.0,
                held=held or 0.0,
                last_date=last or False,
                logged=logged or 0.0,
                to_invoice=to_invoice or 0.0,
            )
            invoiced[ticket_id] = all_invoiced or 0.0
        return base, invoiced, later_ids, draw_ids, drawn

    def _support_billing_load(
        self, new_lines=None, base=None, later_ids=(), draw_ids=(), drawn=None
    ):
        """What one pass of the engine reads, once for all the tickets: a
        ``SupportBillingPass``.

        With `new_lines`, `base`, `later_ids`, `draw_ids` and `drawn` (see
        ``_support_billing_base``) only the lines from each ticket's position on are billed, on
        top of the totals of the lines before it. An override adds to what ``super()`` returns.
        """
        Consumption = self.env["support.hour.pack.consumption"].sudo()
        Line = self.env["account.analytic.line"].sudo()
        if new_lines is None:
            # What the pass reads of the lines, not their whole rows (an invoicing run re-bills
            # a thousand tickets at a time).
            lines = Line.search_fetch(
                [("support_ticket_id", "in", self.ids)],
                LINE_BILLING_FIELDS,
                order="date, id",
            )
        else:
            lines = (Line.browse(later_ids) | new_lines).sorted(lambda line: (line.date, line.id))
        lines_by_ticket = defaultdict(list)
        for line in lines:
            lines_by_ticket[line.support_ticket_id.id].append(line)
        billable = self.filtered(lambda t: t.coverage != "covered")
        # What _support_packs_to_draw reads of the categories, for all the tickets in one query
        # (a no-op when already read): not their whole rows, on every line logged.
        billable.category_id.fetch(["draws_from_packs"])
        packs = self.env["support.hour.pack"]
        if billable:
            packs = packs._support_draw_candidates(
                billable.commercial_partner_id, billable.company_id
            )
        if new_lines is None:
            old = Consumption.search([("ticket_id", "in", self.ids)])
        else:  # the draws of the lines before the positions stay
            old = Consumption.browse(draw_ids)
        to_lock = packs | old.pack_id
        if new_lines is not None:
            # _support_billing_base locked the packs of the tickets' customers already.
            customers, companies = self._support_pack_customers()
            to_lock = to_lock.filtered(
                lambda p: p.partner_id not in customers or p.company_id not in companies
            )
        to_lock._lock_for_update()
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
        return SupportBillingPass(
            lines=lines_by_ticket,
            packs=packs_by_key,
            remaining=remaining,
            movable=movable,
            old_draws=old_draws,
            base=base,
            drawn=drawn,
        )

    # ------------------------------------------------------------------ one ticket
    def _support_bill(self, billing_pass):
        """Bill the ticket's lines not invoiced yet, then its extra hours and totals (the
        ticket's values are saved with the draws, by ``_support_billing_save``).

        The orchestrator of one ticket: it records the draws every hook returns (taking them
        off the packs' balances) and adds up the totals, so the hooks themselves only answer.
        """
        self.ensure_one()
        packs = self._support_packs_to_draw(billing_pass)
        lines = billing_pass.lines.get(self.id, [])
        base = billing_pass.base.get(self.id)
        totals = dataclasses.replace(base) if base else SupportTicketTotals()
        # A ticket billed from a position has no minimum credit (see _support_bill_new_lines).
        credit = 0.0 if base else self._support_minimum_credit(lines)
        for line in lines:
            totals.last_date = line.date
            if line.support_invoice_line_id:
                totals.billable += line.unit_amount
                totals.invoiced_lines += line.support_billed_hours
                continue
            within = max(min(credit, line.unit_amount), 0.0)
            vals, draws = self._support_bill_line(billing_pass, line, packs, within)
            billing_pass.record_draws(self, line.id, line, line.date, draws)
            credit -= vals["support_minimum_hours"]
            if vals["support_billing_status"] != "covered":
                totals.billable += line.unit_amount
            totals.held += line._support_held_hours(vals)
            changed = {k: v for k, v in vals.items() if line[k] != v}
            line._support_engine_write(changed)
        totals.logged += sum(line.unit_amount for line in lines)
        totals.to_invoice += sum(line._support_to_invoice_hours() for line in lines)
        extra = self._support_extra_hours(billing_pass, totals, packs)
        billing_pass.record_draws(self, ("extra", self.id), False, totals.last_date, extra.draws)
        totals.held += extra.held
        billing_pass.totals[self.id] = totals
        billing_pass.ticket_vals[self.id] = self._support_totals_vals(totals, extra)

    def _support_packs_to_draw(self, billing_pass):
        """The packs the ticket's billable time draws from, in draw order: none for a category
        charged separately."""
        self.ensure_one()
        if not self.category_id.draws_from_packs:
            return []
        return billing_pass.packs.get((self.commercial_partner_id.id, self.company_id.id), [])

    @api.model
    def _support_draw(self, billing_pass, packs, hours, date):
        """Take `hours` from the packs that can be drawn from on `date`, in order, without
        going below what the pass has left of them: ``([(pack id, hours)], hours left)``.
        The caller records the draws (``SupportBillingPass.record_draws``)."""
        result = []
        remaining = billing_pass.remaining
        for pack in packs:
            if float_is_zero(hours, precision_digits=PRECISION):
                break
            left = remaining[pack.id]
            if not pack._support_can_draw(date, left):
                continue
            take = min(left, hours)
            hours -= take
            result.append((pack.id, float_round(take, precision_digits=PRECISION)))
        return result, max(hours, 0.0)

    def _support_billed_and_extra(self, billable):
        """``(billed, extra)``: the billable hours after the per-request minimum and rounding
        of the ticket's billing type, and the hours those add (0 without time). The one home of
        the minimum and rounding extra."""
        self.ensure_one()
        btype = self._support_billing_type()
        billed = _round_billed(billable, btype.min_billed_hours, btype.rounding_step)
        return billed, (billed - billable if billed else 0.0)

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
        _billed, extra_total = self._support_billed_and_extra(
            sum(line.unit_amount for line in lines)
        )
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

    def _support_bill_line(self, billing_pass, line, packs, within):
        """A line's billing: ``(values, draws)``: its status and hours (the facts its reason is
        written from, ``account.analytic.line``'s ``support_billing_reason``) and its pack
        draws ``[(pack id, hours)]``. `within`: the hours of the line a per-request minimum
        already invoiced settles. Nothing is recorded here: ``_support_bill`` does."""
        self.ensure_one()
        if self.coverage == "covered":
            return {
                "support_billing_status": "covered",
                "support_billed_hours": 0.0,
                "support_pack_hours": 0.0,
                "support_minimum_hours": 0.0,
            }, []
        draws, hourly = self._support_draw(
            billing_pass, packs, line.unit_amount - within, line.date
        )
        from_pack = sum(hours for _pack, hours in draws)
        return self._support_line_vals(draws, from_pack, hourly, within), draws

    def _support_extra_hours(self, billing_pass, totals, packs):
        """The per-request minimum and rounding, at ticket level and billed once, as a
        ``SupportExtraHours``: the billed total, the hours added to it, those of them still to
        invoice or held for approval (after a draw from the packs on the date of the last
        line) and that draw."""
        self.ensure_one()
        billed, extra_total = self._support_billed_and_extra(totals.billable)
        extra_invoiced = max(self.hours_invoiced - totals.invoiced_lines, 0.0)
        # An invoiced minimum larger than needed now settles later lines (_support_minimum_credit)
        pending = max(extra_total - extra_invoiced, 0.0)
        # Invoice quantities have fewer decimals than the billed hours (e.g. three lines of ten
        # minutes billed 0.1667 h each and invoiced 0.5 h in all): what is left below the
        # invoice's precision is already on the invoice, not a 0.00 h line of the next run.
        if float_is_zero(pending, precision_digits=self._support_quantity_digits()):
            pending = 0.0
        draws, held = [], 0.0
        if (
            self.coverage != "covered"
            and float_compare(pending, 0, PRECISION) > 0
            and totals.last_date
        ):
            draws, pending = self._support_draw(billing_pass, packs, pending, totals.last_date)
        if float_compare(pending, 0, PRECISION) > 0:
            status = self._support_hourly_status()
            if status == "held":
                held = pending
            if status != "to_invoice":
                pending = 0.0
        return SupportExtraHours(
            billed=billed, extra=extra_total, to_invoice=pending, held=held, draws=draws
        )

    def _support_totals_vals(self, totals, extra):
        """The ticket's values the engine decides from its `totals` and `extra` hours (the sums
        of lines are stored computes): only those that changed."""
        self.ensure_one()
        approval = self.approval_state
        if totals.held and approval == "not_needed":
            approval = "pending"
        elif not totals.held and approval == "pending":
            approval = "not_needed"
        vals = {
            "hours_billed": extra.billed,
            "hours_extra": extra.extra,
            "hours_held": totals.held,
            "hours_extra_to_invoice": extra.to_invoice,
        }
        vals = {k: float_round(v, precision_digits=PRECISION) for k, v in vals.items()}
        changed = {k: v for k, v in vals.items() if float_compare(self[k], v, PRECISION)}
        if approval != self.approval_state:
            changed["approval_state"] = approval
        return changed

    def _support_billing_save(self, billing_pass):
        """Replace the draws that changed, save the packs' balances and the tickets' values
        with their sums of lines and draws, then warn about packs running low.

        The engine knows those sums (``_support_hours_sums_vals``,
        ``support.hour.pack._support_hours_used_vals``): it saves them with the draws, so that
        logging a line does not add them up again over all of a ticket's lines and all of a
        pack's draws. Their computes answer every other change, and the tickets' sums of a full
        pass (for all its tickets at once).
        """
        Pack = self.env["support.hour.pack"].sudo()
        packs = Pack.browse(pack_id for pack_id, hours in billing_pass.used.items() if hours)
        used = {pack.id: pack.hours_used + billing_pass.used[pack.id] for pack in packs}
        if billing_pass.replace:
            billing_pass.replace.unlink()
        if billing_pass.new_draws:
            self.env["support.hour.pack.consumption"].sudo().create(billing_pass.new_draws)
        # The balance is no tracked value: no tracking for the engine's own write.
        for pack in packs.with_context(tracking_disable=True):
            pack.write(pack._support_hours_used_vals(float_round(used[pack.id], PRECISION)))
        self._support_save_ticket_vals(billing_pass)
        if billing_pass.touched:
            touched = self.env["support.hour.pack"].sudo().browse(billing_pass.touched)
            touched.flush_recordset(["hours_remaining"])
            touched._send_balance_warnings()
        return True

    def _support_save_ticket_vals(self, billing_pass):
        """Write each ticket's values the engine decided and, in an incremental pass, its sums
        of lines and draws (HOURS_SUMS), those where they changed or wait for their compute
        (which they then no longer need), in one write."""
        fields_ = [self._fields[fname] for fname in HOURS_SUMS]
        pending = {field: self.env.records_to_compute(field) for field in fields_}
        for ticket in self:
            vals = dict(billing_pass.ticket_vals.get(ticket.id, {}))
            totals = billing_pass.totals.get(ticket.id)
            if not totals or not billing_pass.incremental:  # their computes answer
                ticket._support_engine_write(vals)
                continue
            sums = ticket._support_hours_sums_vals(
                totals.logged,
                totals.to_invoice,
                billing_pass.drawn[ticket.id],
                vals.get("hours_extra_to_invoice"),
            )
            vals.update(
                (field.name, sums[field.name])
                for field in fields_
                if ticket in pending[field]
                or float_compare(ticket[field.name], sums[field.name], PRECISION)
            )
            # The sums are written now: what the other values change does not mark them again.
            with self.env.protecting(fields_, ticket):
                ticket._support_engine_write(vals)

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
