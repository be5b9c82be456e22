# The billing engine: a ticket's time billed as covered, drawn from packs, to invoice or held.
from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL, float_compare, float_is_zero, float_round

from .support_ticket import PRECISION, _round_billed


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
        # Invoice quantities have fewer decimals than the billed hours (e.g. three lines of ten
        # minutes billed 0.1667 h each and invoiced 0.5 h in all): what is left below the
        # invoice's precision is already on the invoice, not a 0.00 h line of the next run.
        if float_is_zero(extra_pending, precision_digits=self._support_quantity_digits()):
            extra_pending = 0.0
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
