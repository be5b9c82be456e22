import datetime
from operator import itemgetter

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.misc import format_date

# An agreement in one of these states has been in force: it counts on the dates it runs.
IN_FORCE_STATES = ("active", "closed")
ONE_DAY = datetime.timedelta(days=1)
# Fields of an agreement whose change may change the coverage of its customer's tickets.
DECISION_FIELDS = {"state", "date_start", "date_end", "key_user_ids", "type_id", "partner_id"}
DECISION_FIELDS |= {"company_id"}
# The lifecycle: the states an agreement may go to from each state (the action_* methods).
STATE_TRANSITIONS = {
    "draft": {"active", "cancelled"},
    "active": {"closed", "cancelled"},
    "closed": set(),
    "cancelled": {"draft"},
}


class SupportAgreement(models.Model):
    _name = "support.agreement"
    _description = "Support Agreement"
    _inherit = ("mail.thread", "mail.activity.mixin")
    _order = "date_start desc, id desc"

    name = fields.Char(string="Reference", required=True, copy=False, default="/", tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        tracking=True,
        index=True,
        domain="[('is_company', '=', True)]",
        help="The customer company holding the agreement.",
    )
    type_id = fields.Many2one("support.agreement.type", required=True, tracking=True)
    type_code = fields.Char(related="type_id.code", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    date_start = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(tracking=True, help="Empty: open-ended.")
    key_user_ids = fields.Many2many(
        "res.partner",
        "support_agreement_key_user_rel",
        "agreement_id",
        "partner_id",
        string="Key Users",
        domain="[('id', 'child_of', partner_id)]",
        help="Contacts of the customer entitled to General Support to Key Users.",
    )
    fee_line_ids = fields.One2many(
        "support.agreement.fee.line", "agreement_id", string="Fee Lines", copy=True
    )
    monthly_fee = fields.Monetary(
        currency_field="currency_id",
        tracking=True,
        compute="_compute_monthly_fee",
        store=True,
        readonly=False,
        help="The sum of the fee lines in force (today, within the agreement's dates). Set on an "
        "agreement with at most one fee line, it sets that line's price.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Account Manager", default=lambda self: self.env.user, tracking=True
    )
    consultant_id = fields.Many2one(
        "res.users",
        string="Default Consultant",
        domain="[('share', '=', False)]",
        tracking=True,
        help="New requests under this agreement are assigned to this consultant.",
    )
    note = fields.Html(groups="base.group_user", help="Internal notes, not shown to customers.")
    prerequisite_type_id = fields.Many2one(related="type_id.prerequisite_type_id")
    prerequisite_ok = fields.Boolean(
        string="Prerequisite Met",
        compute="_compute_prerequisite",
        help="False when the required agreement (e.g. the patch agreement of a maintenance "
        "agreement) is not active for the whole period of this agreement.",
    )
    prerequisite_warning = fields.Text(compute="_compute_prerequisite")
    is_in_force = fields.Boolean(
        string="In Force Today",
        compute="_compute_is_in_force",
        search="_search_is_in_force",
        help="Active, or closed, and running today.",
    )
    ticket_ids = fields.One2many(
        "support.ticket", "coverage_agreement_id", string="Covered Tickets"
    )
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    environment_ids = fields.Many2many(
        "support.environment",
        "support_environment_agreement_rel",
        "agreement_id",
        "environment_id",
        string="Environments",
        help="The customer environments this agreement covers.",
    )

    # --- Computes -----------------------------------------------------------------------------
    @api.depends(
        "fee_line_ids.subtotal",
        "fee_line_ids.date_start",
        "fee_line_ids.date_end",
        "date_start",
        "date_end",
    )
    def _compute_monthly_fee(self):
        today = fields.Date.context_today(self)
        for agreement in self:
            day = max(today, agreement.date_start) if agreement.date_start else today
            if agreement.date_end:
                day = min(day, agreement.date_end)
            agreement.monthly_fee = sum(
                agreement.fee_line_ids.filtered_domain(
                    self.env["support.agreement.fee.line"]._get_in_force_domain(day)
                ).mapped("subtotal")
            )

    def _support_set_monthly_fee(self, fee):
        """Writing ``monthly_fee``: the price of the agreement's only fee line (a line is
        created when there is none). With several lines, the user edits the lines."""
        self.check_access("write")
        for agreement in self:
            if agreement.currency_id.compare_amounts(agreement.monthly_fee, fee or 0.0) == 0:
                continue
            lines = agreement.fee_line_ids
            if len(lines) > 1:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s has %(count)s fee lines: its monthly fee is "
                        "their sum. Change the fee lines instead.",
                        agreement=agreement.name,
                        count=len(lines),
                    )
                )
            if lines:
                lines.write({"quantity": 1.0, "price_unit": fee or 0.0})
            elif fee:
                lines.create({"agreement_id": agreement.id, "quantity": 1.0, "price_unit": fee})
        return True

    @api.model
    def _cron_refresh_monthly_fees(self):
        """The monthly fee is the sum of the lines in force today: refreshed each day for the
        agreements with dated fee lines (a line starts or ends)."""
        agreements = (
            self.env["support.agreement.fee.line"]
            .sudo()
            .search(["|", ("date_start", "!=", False), ("date_end", "!=", False)])
            .agreement_id
        )
        self.env.add_to_compute(self._fields["monthly_fee"], agreements)
        agreements._recompute_recordset(["monthly_fee"])
        return True

    @api.model
    def _support_migrate_fee_lines(self, agreements=None):
        """Agreements from before fee lines keep their monthly fee as one line (the migration
        to 19.0.1.2.0; safe to run twice): the stored fee of each agreement without lines."""
        if agreements is None:
            agreements = self.with_context(active_test=False).sudo().search([])
        todo = agreements.sudo().filtered(lambda a: not a.fee_line_ids and a.monthly_fee)
        self.env["support.agreement.fee.line"].sudo().create(
            [
                {"agreement_id": agreement.id, "quantity": 1.0, "price_unit": agreement.monthly_fee}
                for agreement in todo
            ]
        )
        return todo

    @api.depends("type_id", "partner_id", "date_start", "date_end", "company_id", "state")
    def _compute_prerequisite(self):
        gaps = self._prerequisite_gaps()
        for agreement in self:
            first_gap = gaps.get(agreement.id)
            agreement.prerequisite_ok = not first_gap
            agreement.prerequisite_warning = bool(first_gap) and self.env._(
                "No active %(prerequisite)s of %(customer)s from %(date)s: this agreement covers "
                "nothing on the days without it, and the tickets of those days are billable.",
                prerequisite=agreement.type_id.prerequisite_type_id.name,
                customer=agreement.partner_id.name,
                date=format_date(self.env, first_gap[0][0]),
            )

    def _compute_is_in_force(self):
        in_force = self._filter_in_force()
        for agreement in self:
            agreement.is_in_force = agreement in in_force

    def _search_is_in_force(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._get_in_force_domain()
        if True in value:
            return Domain.TRUE if False in value else domain
        return ~domain

    # --- In force, prerequisite (the one definition of each) ---------------------------------
    @api.model
    def _get_in_force_domain(self, date_from=None, date_to=None):
        """Agreements in force on ``date_from`` (default: today), or with ``date_to`` on at
        least one day from ``date_from`` to ``date_to``: activated (active, or closed after
        having been in force; never draft or cancelled) and running on that day, both ends
        included. The decision, the Key User checks, the prerequisite, the portal and the fee
        run all use this definition."""
        date_from = date_from or fields.Date.context_today(self)
        date_to = date_to or date_from
        return (
            Domain("state", "in", IN_FORCE_STATES)
            & Domain("date_start", "<=", date_to)
            & (Domain("date_end", "=", False) | Domain("date_end", ">=", date_from))
        )

    @api.model
    def _get_in_force_sql(self, alias, day):
        """The SQL form of ``_get_in_force_domain`` (one day) for SQL reports whose day is a
        column: the agreement table's ``alias`` (a string) in force on ``day`` (an ``SQL``
        expression). Written from the same states; a test compares both on the same data."""
        table = SQL.identifier(alias)
        return SQL(
            "(%(table)s.state IN %(states)s AND %(table)s.date_start <= %(day)s"
            " AND (%(table)s.date_end IS NULL OR %(table)s.date_end >= %(day)s))",
            table=table,
            states=IN_FORCE_STATES,
            day=day,
        )

    def _filter_in_force(self, date_from=None, date_to=None):
        """The agreements of ``self`` in force on the date (or range), in memory."""
        return self.filtered_domain(self._get_in_force_domain(date_from, date_to))

    def _prerequisite_agreements(self, date_from=None, date_to=None):
        """{agreement id: the agreements meeting its prerequisite on at least one day of
        [date_from, date_to] (default: today; ``date_to`` False: open-ended)}, with one
        search for ``self``. An agreement meets the prerequisite of another when it is of the
        required type, of the same customer and company, and in force. Agreements whose type
        requires nothing are left out."""
        needing = self.filtered(lambda a: a.type_id.prerequisite_type_id and a.partner_id)
        if not needing:
            return {}
        date_from = date_from or fields.Date.context_today(self)
        date_to = date_from if date_to is None else date_to
        others = self.sudo().search_fetch(
            Domain("partner_id", "in", needing.partner_id.ids)
            & Domain("type_id", "in", needing.type_id.prerequisite_type_id.ids)
            & self._get_in_force_domain(date_from, date_to or datetime.date.max),
            ["partner_id", "type_id", "date_start", "date_end", "company_id"],
        )
        return {agreement.id: agreement._prerequisite_among(others) for agreement in needing}

    def _prerequisite_among(self, agreements):
        """The agreements of ``agreements`` that meet the prerequisite of this one when they
        are in force."""
        self.ensure_one()
        required = self.type_id.prerequisite_type_id
        return agreements.filtered(
            lambda other: other.type_id == required
            and other.partner_id == self.partner_id
            and other.company_id == self.company_id
        )

    def _prerequisite_gaps(self, date_from=None, date_to=None, agreements=None):
        """{agreement id: [(first day, last day or False)]}: the periods of [date_from,
        date_to] on which the prerequisite of each agreement of ``self`` is not met (default:
        the agreement's own dates; ``date_to`` empty with ``date_from`` given: open-ended).
        An agreement whose type requires nothing has no gap. ``agreements``: agreements
        already read (in force on the dates asked) to look in instead of searching."""
        result = {}
        needing = self.filtered(
            lambda a: a.type_id.prerequisite_type_id and a.partner_id and a.date_start
        )
        if agreements is None and needing:
            if date_from:
                found = needing._prerequisite_agreements(date_from, date_to)
            else:
                ends = needing.mapped("date_end")
                found = needing._prerequisite_agreements(
                    min(needing.mapped("date_start")), all(ends) and max(ends)
                )
        for agreement in self:
            if agreement not in needing:
                result[agreement.id] = []
                continue
            if agreements is None:
                others = found.get(agreement.id, self.browse())
            else:
                others = agreement._prerequisite_among(agreements)
            start = date_from or agreement.date_start
            end = date_to if date_from else agreement.date_end
            result[agreement.id] = self._uncovered_periods(
                start, end, [(other.date_start, other.date_end) for other in others]
            )
        return result

    def _filter_prerequisite_met(self, date):
        """The agreements of ``self`` whose prerequisite is met on ``date``, with one search:
        with the in-force rule, what covers on that day (the patch job, the portal)."""
        gaps = self._prerequisite_gaps(date, date)
        return self.filtered(lambda agreement: not gaps[agreement.id])

    def _is_prerequisite_met(self, date=None, agreements=None):
        """Whether the prerequisite of this agreement is met on ``date`` (default: today)."""
        self.ensure_one()
        date = date or fields.Date.context_today(self)
        return not self._prerequisite_gaps(date, date, agreements)[self.id]

    @api.model
    def _uncovered_periods(self, date_from, date_to, periods):
        """The periods (first, last) of [date_from, date_to] (date_to False: open-ended; then
        the last period may end False) that none of ``periods`` (start, end or False) covers."""
        gaps = []
        day = date_from
        for start, end in sorted(periods, key=itemgetter(0)):
            if date_to and day > date_to:
                return gaps
            if start > day:
                if date_to and start > date_to:
                    break
                gaps.append((day, start - ONE_DAY))
            if not end:
                return gaps
            day = max(day, end + ONE_DAY)
        if not date_to or day <= date_to:
            gaps.append((day, date_to))
        return gaps

    @api.model
    def _first_uncovered_day(self, date_start, date_end, periods):
        """First day of [date_start, date_end] (date_end empty: open-ended) that none of
        ``periods`` (start, end-or-False) covers, or False."""
        gaps = self._uncovered_periods(date_start, date_end, periods)
        return gaps[0][0] if gaps else False

    def _compute_ticket_count(self):
        counts = dict(
            self.env["support.ticket"]._read_group(
                [("coverage_agreement_id", "in", self.ids)], ["coverage_agreement_id"], ["__count"]
            )
        )
        for agreement in self:
            agreement.ticket_count = counts.get(agreement, 0)

    # --- Constraints --------------------------------------------------------------------------
    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for agreement in self:
            if agreement.date_end and agreement.date_end < agreement.date_start:
                raise ValidationError(
                    self.env._(
                        "Agreement %(agreement)s: the end date %(end)s is before the start date "
                        "%(start)s.",
                        agreement=agreement.name,
                        end=format_date(self.env, agreement.date_end),
                        start=format_date(self.env, agreement.date_start),
                    )
                )

    @api.constrains("partner_id")
    def _check_partner(self):
        self.env["res.partner"]._support_check_customer(self)

    @api.constrains("key_user_ids", "partner_id")
    def _check_key_users(self):
        for agreement in self:
            customer = agreement.partner_id.commercial_partner_id
            strangers = agreement.key_user_ids.filtered(
                lambda p, customer=customer: p.commercial_partner_id != customer
            )
            if strangers:
                raise ValidationError(
                    self.env._(
                        "Agreement %(agreement)s: %(contacts)s cannot be Key Users because they "
                        "are not contacts of %(customer)s.",
                        agreement=agreement.name,
                        contacts=", ".join(strangers.mapped("display_name")),
                        customer=customer.name,
                    )
                )

    @api.constrains("environment_ids", "partner_id", "type_id")
    def _check_environments(self):
        self.environment_ids._check_agreements()

    # --- CRUD ---------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        fees = []
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("support.agreement") or "/"
            # The monthly fee given (else the type's default, without fee lines given) becomes
            # the agreement's one fee line.
            fee = vals.pop("monthly_fee", None)
            if fee is None and not vals.get("fee_line_ids") and vals.get("type_id"):
                fee = self.env["support.agreement.type"].browse(vals["type_id"]).default_monthly_fee
            fees.append(fee)
        agreements = super().create(vals_list)
        for agreement, fee in zip(agreements, fees, strict=True):
            if fee is not None:
                agreement._support_set_monthly_fee(fee)
        # Created in force (a state other than draft): the same checks as the lifecycle.
        agreements.filtered(
            lambda a: a.state in IN_FORCE_STATES
        )._check_prerequisite_for_activation()
        agreements._redecide_tickets(agreements.partner_id)
        return agreements

    def write(self, vals):
        if "monthly_fee" in vals:
            # After the fee lines of the same write (a form sends both): their sum, or the price
            # of the only line.
            vals = dict(vals)
            fee = vals.pop("monthly_fee")
            res = self.write(vals) if vals else True
            self._support_set_monthly_fee(fee)
            return res
        if "state" in vals:
            self._check_state_transition(vals["state"])
        if not DECISION_FIELDS & set(vals):
            return super().write(vals)
        partners = self.partner_id
        activated = self.filtered(lambda a: a.state != "active") if vals.get("state") else None
        res = super().write(vals)
        self.invalidate_model(["prerequisite_ok", "prerequisite_warning"])
        if activated and vals["state"] == "active":
            activated._check_prerequisite_for_activation()
        self._redecide_tickets(partners | self.partner_id)
        return res

    def _check_state_transition(self, state):
        """States change only along the lifecycle, whoever writes them and however."""
        self.check_access("write")
        labels = dict(self._fields["state"]._description_selection(self.env))
        for agreement in self:
            if state != agreement.state and state not in STATE_TRANSITIONS.get(agreement.state, ()):
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s cannot go from %(old)s to %(new)s: use its "
                        "Activate, Close, Cancel and Set to Draft buttons.",
                        agreement=agreement.name,
                        old=labels.get(agreement.state),
                        new=labels.get(state, state),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_force(self):
        if any(agreement.state in IN_FORCE_STATES for agreement in self):
            raise UserError(
                self.env._(
                    "An agreement that is or has been in force cannot be deleted; close or "
                    "cancel it instead."
                )
            )

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        self.env["support.agreement"]._redecide_tickets(partners)
        return res

    def _redecide_tickets(self, partners):
        """Re-decide the tickets of ``partners`` (customers) after a change of agreements."""
        self.env["support.ticket"]._redecide_coverage_for(partner_ids=set(partners.ids))

    # --- Workflow -----------------------------------------------------------------------------
    def action_activate(self):
        for agreement in self:
            if agreement.state != "draft":
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s can only be activated from draft.",
                        agreement=agreement.name,
                    )
                )
        # write() checks the prerequisite, whoever activates and however
        self.write({"state": "active"})
        return True

    def _check_prerequisite_for_activation(self):
        self.invalidate_recordset(["prerequisite_ok", "prerequisite_warning"])
        for agreement in self:
            if not agreement.prerequisite_ok:
                raise UserError(
                    self.env._(
                        "Agreement %(agreement)s cannot be activated: %(type)s requires an active "
                        "%(prerequisite)s of %(customer)s for its whole period. %(warning)s",
                        agreement=agreement.name,
                        type=agreement.type_id.name,
                        prerequisite=agreement.type_id.prerequisite_type_id.name,
                        customer=agreement.partner_id.name,
                        warning=agreement.prerequisite_warning,
                    )
                )

    def action_close(self):
        """Close active agreements; an open or future end date becomes today."""
        if any(agreement.state != "active" for agreement in self):
            raise UserError(self.env._("Only active agreements can be closed."))
        today = fields.Date.context_today(self)
        for agreement in self:
            vals = {"state": "closed"}
            if not agreement.date_end or agreement.date_end > today:
                vals["date_end"] = max(today, agreement.date_start)
            agreement.write(vals)
        return True

    def action_cancel(self):
        """Cancel agreements; an active one stops today (its end date, as when closing)."""
        if any(agreement.state == "closed" for agreement in self):
            raise UserError(
                self.env._("A closed agreement cannot be cancelled: it has been in force.")
            )
        today = fields.Date.context_today(self)
        for agreement in self:
            vals = {"state": "cancelled"}
            if agreement.state == "active" and (
                not agreement.date_end or agreement.date_end > today
            ):
                vals["date_end"] = max(today, agreement.date_start)
            agreement.write(vals)
        return True

    def action_draft(self):
        if any(agreement.state != "cancelled" for agreement in self):
            raise UserError(self.env._("Only cancelled agreements can be set back to draft."))
        self.write({"state": "draft"})
        return True

    def action_view_tickets(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_contract.support_ticket_action"
        )
        action["domain"] = [("coverage_agreement_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.partner_id.id}
        return action

    # --- Cron (private: scheduled actions only, never over RPC) -------------------------------
    @api.model
    def _patch_category_by_kind(self, company):
        """{patch type: the company's monthly ticket category for it} (a setting each)."""
        return {
            "odoo_source": company.support_patch_category_id,
            "infrastructure": company.support_infra_patch_category_id,
        }

    @api.model
    def _cron_create_patch_tickets(self, date=None):
        """The month's patch tickets: for each agreement in force (prerequisite met) whose type
        patches environments and includes the company's monthly category for that kind of patch
        (a setting), one covered ticket per active environment it covers, planned in the
        environment's maintenance window. An agreement patching the Odoo source that covers no
        environment gets one ticket of its own. Running it again in the same month creates
        nothing."""
        day = fields.Date.to_date(date) or fields.Date.context_today(self)
        period = day.strftime("%Y-%m")
        companies = (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    "|",
                    ("support_patch_category_id", "!=", False),
                    ("support_infra_patch_category_id", "!=", False),
                ]
            )
        )
        domains = [
            Domain("company_id", "=", company.id)
            & Domain("type_id.environment_patch_type", "=", kind)
            & Domain(
                "type_id.rule_ids",
                "any",
                [("category_id", "=", category.id), ("mode", "=", "included")],
            )
            for company in companies
            for kind, category in self._patch_category_by_kind(company).items()
            if category
        ]
        if not domains:
            return self.env["support.ticket"]
        agreements = (
            self.sudo()
            .search(self._get_in_force_domain(day) & Domain.OR(domains))
            ._filter_prerequisite_met(day)
        )
        Ticket = self.env["support.ticket"].sudo()
        done = {
            (ticket.patch_agreement_id.id, ticket.environment_id.id)
            for ticket in Ticket.with_context(active_test=False).search(
                [("patch_agreement_id", "in", agreements.ids), ("patch_period", "=", period)]
            )
        }
        environments = (
            self.env["support.environment"]
            .sudo()
            .search(self.env["support.environment"]._get_patch_domain(agreements))
        )
        tickets = Ticket
        for company, company_agreements in agreements.grouped("company_id").items():
            categories = self._patch_category_by_kind(company)
            vals_list = []
            for agreement in company_agreements:
                kind = agreement.type_id.environment_patch_type
                covered = environments.filtered(
                    lambda e, a=agreement: a in e.agreement_ids and e.company_id == a.company_id
                )
                targets = covered or (
                    [self.env["support.environment"]] if kind == "odoo_source" else []
                )
                vals_list += [
                    agreement._prepare_patch_ticket_vals(categories[kind], day, period, environment)
                    for environment in targets
                    if (agreement.id, environment.id) not in done
                ]
            tickets |= Ticket.with_company(company).create(vals_list)
        tickets._support_patch_planned()
        return tickets

    def _prepare_patch_ticket_vals(self, category, day, period, environment=None):
        self.ensure_one()
        requester = self.key_user_ids[:1] or self.partner_id
        kind = self.type_id.environment_patch_type or "odoo_source"
        if kind == "infrastructure":
            name = self.env._(
                "Monthly infrastructure patching %(period)s: %(environment)s",
                period=period,
                environment=environment.display_name,
            )
        elif environment:
            name = self.env._(
                "Monthly installation of Odoo source patches %(period)s: %(environment)s",
                period=period,
                environment=environment.display_name,
            )
        else:
            name = self.env._(
                "Monthly installation of Odoo source patches %(period)s", period=period
            )
        start, end = environment._maintenance_window(day) if environment else (False, False)
        return {
            "name": name,
            "partner_id": requester.id,
            "category_id": category.id,
            "request_date": day,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "patch_agreement_id": self.id,
            "patch_period": period,
            "patch_type": kind,
            "environment_id": environment.id if environment else False,
            "planned_date_start": start,
            "planned_date_end": end,
        }
