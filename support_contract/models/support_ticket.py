from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools.misc import format_date

from .support_coverage_rule import COVERAGE_MODES, INCLUDED_MODES
from .support_patch_record import PATCH_TYPES

# Upstream bug states in which the bug is still open (listed on the statement).
UPSTREAM_BUG_STATES = [
    ("reported", "Reported"),
    ("confirmed", "Confirmed"),
    ("fixed", "Fixed"),
    ("closed", "Closed without fix"),
]
UPSTREAM_BUG_OPEN_STATES = ("reported", "confirmed")

OUTCOMES = [
    ("code_error", "Code error identified"),
    ("no_code_error", "No code error identified"),
    ("user_error", "User error"),
    ("other", "Other"),
]
COVERAGES = [("covered", "Covered"), ("billable", "Billable")]
PRIORITIES = [("0", "Normal"), ("1", "High"), ("2", "Urgent")]
# Outcomes after which an included (or Key User) category is charged: "analysis of your
# process, data or use of the system where no code error is identified" is always charged.
CHARGED_OUTCOMES = ("no_code_error", "user_error")
# Why the rules decided as they did: stored on the ticket, the reason is written from it in the
# reader's language (_render_coverage_reason).
COVERAGE_CAUSES = [
    ("included", "Included in the agreement"),
    ("key_user", "Included for Key Users, asked by one"),
    ("charged_outcome", "Resolved without a code error"),
    ("lapsed", "Prerequisite lapsed"),
    ("not_key_user", "Included for Key Users only"),
    ("separate", "Always charged separately"),
    ("not_included", "Not included in the agreement"),
    ("not_included_any", "Not included in any agreement"),
    ("no_agreement", "No agreement in force"),
    ("incomplete", "Requester or category missing"),
    # Undecided: the To Classify queue, and a sender not yet attached to a customer.
    ("pending_category", "Waiting for the service category"),
    ("requester_to_confirm", "Requester to confirm"),
]
# Ranks of what one agreement says about a request, lowest first: among the agreements that
# cover it the lowest rank covers it; when none does, the lowest rank explains why.
RANK_INCLUDED = 0  # covered: the category is included
RANK_KEY_USER = 1  # covered: included for Key Users, and a Key User asked
RANK_CHARGED_OUTCOME = 0  # billable: included, but resolved without a code error
RANK_LAPSED = 10  # billable: included, but the agreement's prerequisite lapsed
RANK_NOT_KEY_USER = 20  # billable: included for Key Users only
RANK_SEPARATE = 30  # billable: always charged separately
RANK_LAPSED_NOT_INCLUDED = 45  # billable: not included, and the prerequisite lapsed too
RANK_NOT_INCLUDED = 50  # billable: not included
# From this rank on no agreement would have covered the request: the reason names them all.
RANK_NAME_ALL = 40
# The stored results of the decision (re-computed together).
DECISION_FIELDS = (
    "coverage_decided",
    "coverage_agreement_id",
    "coverage_cause",
    "coverage_deciding_agreement_id",
    "coverage_reason_agreement_ids",
    "coverage_mode",
    "coverage",
)


class SupportTicket(models.Model):
    _name = "support.ticket"
    _description = "Support Ticket"
    # rating.mixin (a mail.thread): customer satisfaction, see support_ticket_rating.py.
    _inherit = ("rating.mixin", "mail.thread", "mail.activity.mixin", "support.protected.mixin")
    _order = "priority desc, request_date desc, id desc"
    _rec_names_search = ("number", "name")

    number = fields.Char(string="Reference", readonly=True, copy=False, default="/", index=True)
    name = fields.Char(string="Title", required=True, tracking=True)
    description = fields.Html()
    partner_id = fields.Many2one(
        "res.partner", string="Requester", required=True, tracking=True, index=True
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", string="Customer", store=True, index=True
    )
    category_id = fields.Many2one(
        "support.service.category",
        string="Service Category",
        tracking=True,
        index="btree_not_null",
        help="Empty only while a request waits in the To Classify queue: nothing is decided, "
        "billed or covered until a consultant chooses it.",
    )
    request_date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Consultant",
        tracking=True,
        domain="[('share', '=', False)]",
        default=lambda self: self.env.user if not self.env.user.share else False,
    )
    stage_id = fields.Many2one(
        "support.ticket.stage",
        tracking=True,
        index=True,
        copy=False,
        group_expand="_read_group_stage_ids",
        default=lambda self: self._default_stage_id(),
        ondelete="restrict",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    is_cancelled = fields.Boolean(related="stage_id.is_cancelled", store=True)
    priority = fields.Selection(PRIORITIES, default="0", index=True)
    outcome = fields.Selection(
        OUTCOMES,
        tracking=True,
        copy=False,
        help="Set when the ticket is resolved. 'No code error identified' and 'User error' make "
        "an included category billable.",
    )
    date_resolved = fields.Datetime(copy=False, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    color = fields.Integer()
    # --- The decision: what the rules say, the override, and the final coverage. ---------------
    # A decision input: nobody's agreement covers a sender not yet attached to a customer
    # (set by the e-mail intake, cleared by a consultant).
    is_requester_to_confirm = fields.Boolean(
        string="Requester to Confirm",
        compute="_compute_is_requester_to_confirm",
        store=True,
        readonly=False,
        tracking=True,
        copy=False,
        help="The sender is not a known contact of one customer: a consultant attaches the "
        "request to the right customer (set the requester, or the requester's company). Until "
        "then no agreement covers it.",
    )
    coverage_decided = fields.Selection(
        COVERAGES,
        string="Coverage by the Rules",
        compute="_compute_coverage_decision",
        store=True,
    )
    coverage_agreement_id = fields.Many2one(
        "support.agreement",
        string="Covering Agreement",
        compute="_compute_coverage_decision",
        store=True,
        tracking=True,
        index="btree_not_null",
    )
    coverage_mode = fields.Selection(
        COVERAGE_MODES,
        string="Deciding Rule",
        compute="_compute_coverage_decision",
        store=True,
        tracking=True,
    )
    coverage_cause = fields.Selection(
        COVERAGE_CAUSES,
        string="Deciding Cause",
        compute="_compute_coverage_decision",
        store=True,
        tracking=True,
    )
    coverage_deciding_agreement_id = fields.Many2one(
        "support.agreement",
        string="Deciding Agreement",
        compute="_compute_coverage_decision",
        store=True,
        tracking=True,
        index="btree_not_null",
        help="The agreement whose rule decided, covering or not.",
    )
    coverage_reason_agreement_ids = fields.Many2many(
        "support.agreement",
        "support_ticket_reason_agreement_rel",
        "ticket_id",
        "agreement_id",
        string="Agreements Named",
        compute="_compute_coverage_decision",
        store=True,
        help="The agreements the reason names when none of them includes the category.",
    )
    coverage_reason = fields.Text(
        compute="_compute_coverage_reason",
        help="Why the rules decided so, in the reader's language, written from the stored "
        "facts of the decision.",
    )
    coverage_override = fields.Selection(
        COVERAGES,
        string="Override",
        tracking=True,
        copy=False,
        help="Set by a Support Manager to replace the decision of the rules (with a reason).",
    )
    can_override = fields.Boolean(compute="_compute_can_override")
    coverage_override_reason = fields.Text(string="Override Reason", tracking=True, copy=False)
    coverage = fields.Selection(
        COVERAGES,
        compute="_compute_coverage",
        store=True,
        tracking=True,
        index=True,
        help="The decision of the rules, or the manager's override when set; empty while the "
        "request waits for its service category.",
    )
    # --- Monthly source patch installations (created by the cron). ----------------------------
    patch_agreement_id = fields.Many2one(
        "support.agreement",
        string="Patch Installation For",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    patch_period = fields.Char(readonly=True, copy=False, help="Month (YYYY-MM) of the patch run.")
    patch_type = fields.Selection(
        PATCH_TYPES, readonly=True, copy=False, help="What the monthly patch run patches."
    )
    planned_date_start = fields.Datetime(
        string="Planned Start", copy=False, help="Start of the environment's maintenance window."
    )
    planned_date_end = fields.Datetime(string="Planned End", copy=False)
    patch_record_ids = fields.One2many("support.patch.record", "ticket_id", string="Patches")
    # --- The customer's environment, and the bug registered upstream. -------------------------
    environment_id = fields.Many2one(
        "support.environment",
        string="Environment",
        tracking=True,
        index="btree_not_null",
        domain="[('partner_id', '=', commercial_partner_id)]",
        help="The customer environment the request is about.",
    )
    upstream_bug_url = fields.Char(
        string="Upstream Bug",
        tracking=True,
        help="Link to the bug registered with Odoo SA or on GitHub.",
    )
    upstream_bug_state = fields.Selection(
        UPSTREAM_BUG_STATES,
        string="Upstream Bug Status",
        tracking=True,
        help="Open while reported or confirmed upstream.",
    )

    _patch_environment_period_unique = models.UniqueIndex(
        "(patch_agreement_id, COALESCE(environment_id, 0), patch_period) "
        "WHERE patch_agreement_id IS NOT NULL",
        "A patch ticket already exists for this agreement, environment and month.",
    )

    # --- Fields only the server writes ----------------------------------------------------------
    def _support_protected_fields(self):
        """Fields nobody writes directly (over any API): the decision of the rules and what the
        server derives from it. Extended by the addons that add such fields."""
        return super()._support_protected_fields() | {
            *DECISION_FIELDS,
            "coverage_reason",
            "patch_agreement_id",
            "patch_period",
            "patch_type",
        }

    # --- Defaults and groups ------------------------------------------------------------------
    @api.model
    def _default_stage_id(self):
        return self.env["support.ticket.stage"].search([("is_closed", "=", False)], limit=1)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([], order=stages._order)

    # --- Decision -----------------------------------------------------------------------------
    @api.depends("partner_id", "partner_id.commercial_partner_id")
    def _compute_is_requester_to_confirm(self):
        # A consultant who corrects the requester (or its company) confirms it.
        self.is_requester_to_confirm = False

    def _prepare_coverage_values(self):
        """The decision inputs of each ticket of ``self``, as plain values."""
        return [
            {
                "partner_id": ticket.partner_id.id,
                "category_id": ticket.category_id.id,
                "request_date": ticket.request_date,
                "outcome": ticket.outcome,
                "company_id": ticket.company_id.id,
                "requester_to_confirm": ticket.is_requester_to_confirm,
            }
            for ticket in self
        ]

    @api.depends(
        "partner_id",
        "partner_id.commercial_partner_id",
        "category_id",
        "request_date",
        "outcome",
        "company_id",
        "is_requester_to_confirm",
    )
    def _compute_coverage_decision(self):
        decisions = self._decide_coverage(self._prepare_coverage_values(), render=False)
        for ticket, decision in zip(self, decisions, strict=True):
            ticket.coverage_decided = decision["coverage"]
            ticket.coverage_agreement_id = decision["agreement_id"]
            ticket.coverage_mode = decision["mode"]
            ticket.coverage_cause = decision["cause"]
            ticket.coverage_deciding_agreement_id = decision["deciding_agreement_id"]
            ticket.coverage_reason_agreement_ids = decision["reason_agreement_ids"]

    @api.depends(
        "coverage_cause",
        "coverage_deciding_agreement_id",
        "coverage_reason_agreement_ids",
        "category_id",
        "partner_id",
        "commercial_partner_id",
        "request_date",
        "outcome",
    )
    @api.depends_context("lang")
    def _compute_coverage_reason(self):
        for ticket in self:
            facts = ticket.sudo()
            ticket.coverage_reason = self._render_coverage_reason(
                {
                    "cause": facts.coverage_cause,
                    "agreement": facts.coverage_deciding_agreement_id,
                    "agreements": facts.coverage_reason_agreement_ids,
                    "category": facts.category_id,
                    "requester": facts.partner_id,
                    "customer": facts.commercial_partner_id or facts.partner_id,
                    "date": facts.request_date,
                    "outcome": facts.outcome,
                }
            )

    @api.depends_context("uid")
    def _compute_can_override(self):
        self.can_override = self.env.user.has_group("support_contract.group_support_manager")

    @api.depends("coverage_decided", "coverage_override")
    def _compute_coverage(self):
        for ticket in self:
            ticket.coverage = ticket.coverage_override or ticket.coverage_decided

    @api.model
    def _decide_coverage(self, values_list, render=True):
        """Decide the coverage of requests given as plain values, in batch.

        ``values_list``: dicts with ``partner_id``, ``category_id``, ``request_date``,
        ``outcome`` and ``company_id`` (ids, date). Returns one dict per input:
        ``{'coverage', 'agreement_id', 'mode', 'cause', 'deciding_agreement_id',
        'reason_agreement_ids', 'key_user_ids', 'reason'}``; ``reason`` is written in the
        language of ``self.env`` (empty unless ``render``).
        A fixed number of queries whatever the batch size: the agreements of all the customers
        with one search, the matrix with one read, then plain Python per request.
        """
        values_list = list(values_list)
        if not values_list:
            return []
        data = self._load_coverage_data(values_list)
        decisions = [self._decide_one_coverage(vals, data) for vals in values_list]
        if render:
            Agreement = self.env["support.agreement"].sudo()
            for vals, decision in zip(values_list, decisions, strict=True):
                partner = decision.pop("requester")
                decision["reason"] = self._render_coverage_reason(
                    {
                        "cause": decision["cause"],
                        "agreement": Agreement.browse(decision["deciding_agreement_id"]),
                        "agreements": Agreement.browse(decision["reason_agreement_ids"]),
                        "category": decision.pop("category"),
                        "requester": partner,
                        "customer": data["commercial"].get(partner.id) or partner,
                        "date": decision.pop("date"),
                        "outcome": vals.get("outcome"),
                    }
                )
        else:
            for decision in decisions:
                for key in ("requester", "category", "date"):
                    decision.pop(key)
        return decisions

    @api.model
    def _load_coverage_data(self, values_list):
        env = self.sudo().env
        today = fields.Date.context_today(self)
        partners = env["res.partner"].browse(
            {vals["partner_id"] for vals in values_list if vals.get("partner_id")}
        )
        partners.fetch(["name", "commercial_partner_id"])
        commercial = {partner.id: partner.commercial_partner_id for partner in partners}
        commercial_partners = env["res.partner"].union(*commercial.values())
        commercial_partners.fetch(["name"])
        dates = [fields.Date.to_date(vals.get("request_date")) or today for vals in values_list]
        Agreement = env["support.agreement"]
        agreements = Agreement.search_fetch(
            Domain("partner_id", "in", commercial_partners.ids)
            & Agreement._get_in_force_domain(min(dates), max(dates)),
            [
                "name",
                "partner_id",
                "type_id",
                "state",
                "date_start",
                "date_end",
                "company_id",
                "key_user_ids",
            ],
            order="date_start, id",
        )
        agreements.type_id.fetch(["name", "prerequisite_type_id"])
        agreements.key_user_ids.fetch(["name"])
        by_partner = {
            partner.id: partner_agreements
            for partner, partner_agreements in agreements.grouped("partner_id").items()
        }
        categories = env["support.service.category"].browse(
            {vals["category_id"] for vals in values_list if vals.get("category_id")}
        )
        categories.fetch(["name"])
        rules = env["support.coverage.rule"].search_fetch(
            [("category_id", "in", categories.ids)], ["category_id", "type_id", "mode"]
        )
        return {
            "today": today,
            "commercial": commercial,
            "by_partner": by_partner,
            "in_force": {},
            "key_user_of": {},
            "matrix": {(rule.category_id.id, rule.type_id.id): rule.mode for rule in rules},
        }

    def _decide_one_coverage(self, vals, data):
        """The decision for one request, as facts (no sentence)."""
        partner = self.env["res.partner"].sudo().browse(vals.get("partner_id") or [])
        category = self.env["support.service.category"].sudo().browse(vals.get("category_id") or [])
        day = fields.Date.to_date(vals.get("request_date")) or data["today"]
        result = {
            "coverage": "billable",
            "agreement_id": False,
            "deciding_agreement_id": False,
            "reason_agreement_ids": [],
            "mode": False,
            "cause": "incomplete",
            "key_user_ids": [],
            "requester": partner,
            "category": category,
            "date": day,
        }
        if partner and not category:
            # The To Classify queue: no silent default category, nothing covered or billed.
            result.update(coverage=False, cause="pending_category")
            return result
        if not partner or not category:
            return result
        if vals.get("requester_to_confirm"):
            # Nobody's agreement covers a sender not yet attached to a customer.
            result["cause"] = "requester_to_confirm"
            return result
        customer = data["commercial"].get(partner.id) or partner
        agreements = self._coverage_agreements_on(data, customer, vals.get("company_id"), day)
        if not agreements:
            result["cause"] = "no_agreement"
            return result
        key = (partner.id, customer.id, vals.get("company_id"), day)
        if key not in data["key_user_of"]:
            data["key_user_of"][key] = partner._support_key_user_agreements(day, agreements)
        context = {"in_force": agreements, "key_user_of": data["key_user_of"][key]}
        verdicts = [
            self._coverage_verdict(agreement, category, day, vals, data, context)
            for agreement in agreements
        ]
        covered = [verdict for verdict in verdicts if verdict["coverage"] == "covered"]
        if covered:
            chosen = min(covered, key=lambda v: v["rank"])
            result["agreement_id"] = chosen["agreement"].id
        else:
            chosen = min(verdicts, key=lambda v: v["rank"])
            if chosen["rank"][0] >= RANK_NAME_ALL:
                # Nothing would cover it: name every agreement of that rank.
                same = [v for v in verdicts if v["rank"][0] == chosen["rank"][0]]
                if len(same) > 1:
                    chosen = dict(chosen, cause="not_included_any")
                    result["reason_agreement_ids"] = [v["agreement"].id for v in same]
        result.update(
            coverage=chosen["coverage"],
            deciding_agreement_id=chosen["agreement"].id,
            cause=chosen["cause"],
            mode=chosen["mode"],
            key_user_ids=chosen["agreement"].key_user_ids.ids,
        )
        return result

    @api.model
    def _coverage_agreements_on(self, data, customer, company_id, day):
        """The agreements of ``customer`` (of ``company_id`` when given) in force on ``day``,
        among those `_load_coverage_data` read."""
        key = (customer.id, company_id, day)
        if key not in data["in_force"]:
            agreements = data["by_partner"].get(customer.id, self.env["support.agreement"])
            if company_id:
                agreements = agreements.filtered(lambda a: a.company_id.id == company_id)
            data["in_force"][key] = agreements._filter_in_force(day)
        return data["in_force"][key]

    def _coverage_verdict(self, agreement, category, day, vals, data, context):
        """What one agreement says about one request: coverage, cause and rank (the lowest
        rank decides). ``context``: ``in_force``, the customer's agreements in force on the
        day, and ``key_user_of``, those naming the requester a Key User."""
        mode = data["matrix"].get((category.id, agreement.type_id.id), "billable")
        rank_key = (agreement.date_start, agreement.id)

        def verdict(cause, rank, coverage="billable"):
            return {
                "agreement": agreement,
                "mode": mode,
                "coverage": coverage,
                "cause": cause,
                "rank": (rank, *rank_key),
            }

        if mode == "separate":
            return verdict("separate", RANK_SEPARATE)
        if agreement.type_id.prerequisite_type_id and not agreement._is_prerequisite_met(
            day, context["in_force"]
        ):
            if mode in INCLUDED_MODES:
                return verdict("lapsed", RANK_LAPSED)
            return verdict("lapsed", RANK_LAPSED_NOT_INCLUDED)
        if mode == "billable":
            return verdict("not_included", RANK_NOT_INCLUDED)
        if mode == "key_user" and agreement not in context["key_user_of"]:
            return verdict("not_key_user", RANK_NOT_KEY_USER)
        if vals.get("outcome") in CHARGED_OUTCOMES:
            return verdict("charged_outcome", RANK_CHARGED_OUTCOME)
        if mode == "key_user":
            return verdict("key_user", RANK_KEY_USER, "covered")
        return verdict("included", RANK_INCLUDED, "covered")

    @api.model
    def _render_coverage_reason(self, facts):
        """The sentence a person reads about a decision, in the language of ``self.env``,
        written from its facts: ``cause`` (a COVERAGE_CAUSES key), ``agreement`` (the deciding
        one), ``agreements`` (those named when none includes the category), ``category``,
        ``requester``, ``customer``, ``date`` and ``outcome``."""
        cause = facts["cause"]
        if not cause:
            return ""
        _ = self.env._
        if cause == "incomplete":
            return _("Billable until decided: choose the requester and the service category.")
        if cause == "pending_category":
            return _("Decision pending: choose the service category.")
        if cause == "requester_to_confirm":
            requester = facts["requester"]
            return _(
                "Billable: the sender %(requester)s is not yet attached to a customer, so no "
                "agreement covers this request until a consultant confirms the requester.",
                requester=requester.email or requester.name,
            )
        category = facts["category"].name
        if cause == "no_agreement":
            return _(
                "Billable: %(customer)s has no active support agreement on %(date)s, so "
                "“%(category)s” is charged by the hour.",
                customer=facts["customer"].name,
                date=format_date(self.env, facts["date"]),
                category=category,
            )
        if cause == "separate":
            return _(
                "Billable: “%(category)s” is always charged separately, whatever the agreement.",
                category=category,
            )
        if cause == "not_included_any":
            return _(
                "Billable: “%(category)s” is not included in any of the agreements "
                "%(agreements)s and is charged by the hour.",
                category=category,
                agreements=", ".join(
                    f"{agreement.type_id.name} {agreement.name}"
                    for agreement in facts["agreements"].sorted(lambda a: (a.date_start, a.id))
                ),
            )
        agreement = facts["agreement"]
        params = {"category": category, "type": agreement.type_id.name, "agreement": agreement.name}
        if cause == "lapsed":
            return _(
                "Billable: “%(category)s” is not covered because %(type)s %(agreement)s requires "
                "an active %(prerequisite)s and none is active on %(date)s: the prerequisite has "
                "lapsed, so this agreement covers nothing on that date.",
                prerequisite=agreement.type_id.prerequisite_type_id.name,
                date=format_date(self.env, facts["date"]),
                **params,
            )
        if cause == "not_included":
            return _(
                "Billable: “%(category)s” is not included in %(type)s %(agreement)s and is "
                "charged by the hour.",
                **params,
            )
        if cause == "not_key_user":
            return _(
                "Billable: “%(category)s” is included in %(type)s %(agreement)s only for its Key "
                "Users (%(key_users)s); %(requester)s is not a Key User.",
                key_users=", ".join(agreement.key_user_ids.mapped("name")) or _("none named"),
                requester=facts["requester"].name,
                **params,
            )
        if cause == "charged_outcome":
            outcomes = dict(self._fields["outcome"]._description_selection(self.env))
            return _(
                "Billable: the ticket was resolved with the outcome “%(outcome)s”. “%(category)s” "
                "is included in %(type)s %(agreement)s, but analysis where no code error is "
                "identified is always charged, including the time already logged.",
                outcome=outcomes.get(facts["outcome"], facts["outcome"]),
                **params,
            )
        if cause == "key_user":
            return _(
                "Covered: “%(category)s” is included in %(type)s %(agreement)s for its Key Users, "
                "and %(requester)s is a Key User.",
                requester=facts["requester"].name,
                **params,
            )
        return _("Covered: “%(category)s” is included in %(type)s %(agreement)s.", **params)

    def _redecide_coverage(self):
        """Re-decide ``self`` after a change outside the ticket (agreement, rule, type)."""
        tickets = self.sudo().exists()
        if not tickets:
            return
        for fname in DECISION_FIELDS:
            self.env.add_to_compute(self._fields[fname], tickets)
        tickets.flush_recordset(list(DECISION_FIELDS))
        # The sentences follow the new facts (add_to_compute does not invalidate them).
        tickets.invalidate_recordset(["coverage_reason"])

    @api.model
    def _get_coverage_redecide_domain(self, partner_ids=None, category_ids=None):
        """Tickets whose decision may change when agreements or rules change.

        Cancelled tickets keep their decision. support_timesheet extends this to leave invoiced
        tickets alone.
        """
        domain = [("is_cancelled", "=", False)]
        if partner_ids is not None:
            domain.append(("commercial_partner_id", "in", list(partner_ids)))
        if category_ids is not None:
            domain.append(("category_id", "in", list(category_ids)))
        return domain

    @api.model
    def _redecide_coverage_for(self, partner_ids=None, category_ids=None):
        if partner_ids is not None and not partner_ids:
            return
        domain = self._get_coverage_redecide_domain(partner_ids, category_ids)
        self.sudo().with_context(active_test=False).search(domain)._redecide_coverage()

    # --- Constraints --------------------------------------------------------------------------
    @api.constrains("coverage_override", "coverage_override_reason")
    def _check_coverage_override_reason(self):
        for ticket in self:
            if ticket.coverage_override and not (ticket.coverage_override_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: write the reason for overriding the coverage decision.",
                        ticket=ticket.display_name,
                    )
                )

    def _check_required_inputs(self, vals_list):
        """A clear message instead of the database's NOT NULL error."""
        context = self.env.context
        for vals in vals_list:
            if "partner_id" in vals or not self:
                if not (vals.get("partner_id") or (not self and context.get("default_partner_id"))):
                    raise ValidationError(self.env._("A support ticket needs a customer contact."))
            # A new ticket may wait for its category (To Classify); a chosen one stays.
            if self and "category_id" in vals and not vals["category_id"]:
                if self.filtered("category_id"):
                    raise ValidationError(
                        self.env._(
                            "The service category of a classified ticket can be changed, not "
                            "removed."
                        )
                    )

    @api.constrains("environment_id", "partner_id")
    def _check_environment(self):
        for ticket in self:
            environment = ticket.environment_id
            if environment and environment.partner_id != ticket.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the environment %(environment)s belongs to "
                        "%(owner)s, not to the requester's company.",
                        ticket=ticket.display_name,
                        environment=environment.display_name,
                        owner=environment.partner_id.name,
                    )
                )

    def _check_patch_records(self):
        """A patch ticket of an environment is resolved with what was patched: at least one
        patch record (type, versions, result, downtime)."""
        missing = self.filtered(
            lambda t: t.is_closed
            and t.patch_agreement_id
            and t.environment_id
            and not t.patch_record_ids
        )
        if missing:
            raise UserError(
                self.env._(
                    "Record the patches installed (type, versions, result and downtime) before "
                    "resolving %(tickets)s.",
                    tickets=", ".join(missing.mapped("display_name")),
                )
            )

    @api.onchange("environment_id")
    def _onchange_environment_id(self):
        self.priority = max(self.priority or "0", self.environment_id._support_ticket_priority())

    @api.constrains("stage_id", "outcome")
    def _check_outcome(self):
        for ticket in self:
            if ticket.is_closed and not ticket.outcome:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: choose an outcome before resolving it.",
                        ticket=ticket.display_name,
                    )
                )

    def _check_override_access(self, vals_list):
        """Only a Support Manager may set or change the override (or its reason)."""
        if self.env.su or self.env.user.has_group("support_contract.group_support_manager"):
            return
        fnames = ("coverage_override", "coverage_override_reason")
        for vals in vals_list:
            for fname in fnames:
                if fname not in vals:
                    continue
                current = set(self.mapped(fname)) if self else {False}
                if current != {vals[fname] or False}:
                    raise AccessError(
                        self.env._(
                            "Only a Support Manager can override the coverage decision of a ticket."
                        )
                    )

    def _check_resolving(self, vals):
        """Refuse to move to a resolved stage without an outcome (a workflow refusal)."""
        stage = self.env["support.ticket.stage"].browse(vals["stage_id"])
        if not stage.is_closed:
            return
        if "outcome" in vals:
            missing = self if not vals["outcome"] else self.browse()
        else:
            missing = self.filtered(lambda t: not t.outcome)
        if missing:
            raise UserError(
                self.env._(
                    "Choose an outcome (code error, no code error, user error or other) before "
                    "moving %(tickets)s to %(stage)s.",
                    tickets=", ".join(missing.mapped("display_name")),
                    stage=stage.name,
                )
            )

    # --- CRUD ---------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self._check_override_access(vals_list)
        self._check_required_inputs(vals_list)
        stages = self.env["support.ticket.stage"].browse(
            {vals["stage_id"] for vals in vals_list if vals.get("stage_id")}
        )
        closed_ids = set(stages.filtered("is_closed").ids)
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("stage_id") in closed_ids:
                if not vals.get("outcome"):
                    raise UserError(self.env._("Choose an outcome before resolving a ticket."))
                vals.setdefault("date_resolved", now)
            if vals.get("number", "/") == "/":
                vals["number"] = self.env["ir.sequence"].next_by_code("support.ticket") or "/"
            if vals.get("environment_id"):
                environment = self.env["support.environment"].sudo().browse(vals["environment_id"])
                vals["priority"] = max(
                    str(vals.get("priority") or "0"), environment._support_ticket_priority()
                )
        tickets = super().create(vals_list)
        tickets._check_patch_records()
        return tickets

    def write(self, vals):
        self._check_override_access([vals])
        if self:
            self._check_required_inputs([vals])
        if vals.get("stage_id"):
            self._check_resolving(vals)
            stage = self.env["support.ticket.stage"].browse(vals["stage_id"])
            vals = dict(vals, date_resolved=fields.Datetime.now() if stage.is_closed else False)
            if not stage.is_closed and not stage.is_cancelled and "outcome" not in vals:
                # Reopened: the outcome is empty while open, so the ticket is decided afresh.
                vals["outcome"] = False
        if "environment_id" in vals and not self.env.su:
            moved = self.filtered(
                lambda t: t.patch_agreement_id and t.environment_id.id != vals["environment_id"]
            )
            if moved:
                raise UserError(
                    self.env._(
                        "The environment of the monthly patch ticket %(tickets)s cannot change.",
                        tickets=", ".join(moved.mapped("display_name")),
                    )
                )
        res = super().write(vals)
        if vals.get("stage_id") or "patch_record_ids" in vals:
            self._check_patch_records()
        return res

    @api.depends("number", "name")
    def _compute_display_name(self):
        for ticket in self:
            if ticket.number and ticket.number != "/":
                ticket.display_name = f"{ticket.number} {ticket.name or ''}".strip()
            else:
                ticket.display_name = ticket.name or ""

    def _support_patch_planned(self):
        """Hook after the monthly job created patch tickets (support_portal tells the Key
        Users the planned window)."""
        return True

    # --- Actions ------------------------------------------------------------------------------
    def action_open_agreement(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "support.agreement",
            "res_id": self.coverage_agreement_id.id,
            "view_mode": "form",
        }
