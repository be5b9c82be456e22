from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date, plaintext2html


class SupportTicket(models.Model):
    _name = "support.ticket"
    _inherit = ("support.ticket", "portal.mixin")
    # Customers who can read a ticket may discuss it in the portal chatter.
    _mail_post_access = "read"

    charge_accepted = fields.Boolean(
        readonly=True,
        copy=False,
        tracking=True,
        help="The requester accepted in the portal that this billable request is charged.",
    )
    charge_accepted_by_id = fields.Many2one(
        "res.partner", string="Charge Accepted By", readonly=True, copy=False
    )
    charge_accepted_date = fields.Datetime(readonly=True, copy=False)

    def _support_protected_fields(self):
        """The requester's acceptance of the charge is recorded by the portal, not written."""
        return super()._support_protected_fields() | {
            "charge_accepted",
            "charge_accepted_by_id",
            "charge_accepted_date",
        }

    def _compute_access_url(self):
        super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/support/tickets/{ticket.id}"

    def _portal_prefetch_list(self):
        """Read what the portal list shows in one query per model, whatever the page size."""
        self.fetch(["number", "name", "request_date", "coverage", "partner_id", "category_id"])
        self.fetch(["stage_id", "is_closed", "is_cancelled"])
        self.partner_id.fetch(["name"])
        self.category_id.fetch(["name"])
        self.stage_id.fetch(["name"])
        return self

    # ------------------------------------------------------------------------------------------
    # Portal: the decision shown before submitting, and the submission itself
    # ------------------------------------------------------------------------------------------
    @api.model
    def _portal_get_category(self, category_id):
        """The active service category `category_id`, read with the current user's rights."""
        try:
            category_id = int(category_id or 0)
        except (TypeError, ValueError):
            category_id = 0
        category = self.env["support.service.category"].search([("id", "=", category_id)])
        if not category:
            raise UserError(self.env._("Please choose a service category for your request."))
        return category

    @api.model
    def _portal_decision_values(self, category, request_date=None):
        """The values `_decide_coverage` needs for a request of the current user."""
        user = self.env.user
        return {
            "partner_id": user.partner_id.id,
            "category_id": category.id,
            "request_date": request_date or fields.Date.context_today(self),
            "outcome": False,
            "company_id": user.company_id.id,
        }

    @api.model
    def _portal_billing_terms(self, decision, category, partner=None, company=None):
        """Hourly rate (formatted) and per-request minimum of a billable request of `partner`
        (default: the current user's), as support_timesheet invoices it: the product of the
        category or of the agreement type that bills it, at the customer's price
        (``res.partner._support_hour_price``)."""
        company = company or self.env.user.company_id
        partner = partner or self.env.user.partner_id
        agreement = self.env["support.agreement"].sudo().browse(decision.get("agreement_id") or [])
        billing_type = agreement.type_id or self._support_default_type(company)
        product = self._support_invoice_product_for(category.sudo(), billing_type)
        price, currency = partner.sudo()._support_hour_price(product, company)
        # As the engine bills it: no billing type, no minimum.
        minimum = billing_type.min_billed_hours
        return {
            "rate": format_amount(self.env, price, currency),
            "min_hours": minimum,
            "min_label": self._portal_hours_label(minimum),
        }

    @api.model
    def _portal_hours_label(self, hours):
        if hours and hours < 1:
            return self.env._("%(minutes)s minutes", minutes=round(hours * 60))
        return self.env._("%(hours)s hours", hours=f"{hours:g}")

    @api.model
    def _support_billable_terms(self, decision, category, partner, company, date):
        """What a billable request of ``partner`` in ``category`` on ``date`` costs, as the
        engine bills it: the pack its time draws from first (none for a category charged
        separately: ``draws_from_packs``, read by the engine's ``_support_packs_to_draw``), the
        hourly rate and the per-request minimum. The one home of these terms: the portal's
        quote and the notices both say them.

        :return: ``{"terms": _portal_billing_terms, "separate": bool, "pack": pack (sudo),
            "lines": [sentences in the reader's language]}``
        """
        terms = self._portal_billing_terms(decision, category, partner=partner, company=company)
        separate = not category.sudo().draws_from_packs
        pack = self.env["support.hour.pack"]
        if not separate:
            pack = partner.sudo()._support_packs_in_draw_order(date, company)[:1]
        rate, minimum = terms["rate"], terms["min_label"]
        has_minimum = bool(terms["min_hours"])
        if pack:
            lines = [
                self.env._(
                    "Billable: the time spent is drawn from your prepaid pack %(pack)s "
                    "(%(hours)s hours left, valid until %(date)s).",
                    pack=pack.name,
                    hours=f"{pack.hours_remaining:g}",
                    date=format_date(self.env, pack.date_end),
                ),
                self.env._(
                    "Time beyond the pack is charged at %(rate)s per hour, at least %(minimum)s "
                    "per request.",
                    rate=rate,
                    minimum=minimum,
                )
                if has_minimum
                else self.env._("Time beyond the pack is charged at %(rate)s per hour.", rate=rate),
            ]
        elif separate:
            lines = [
                self.env._(
                    "Billable: this service is charged separately at %(rate)s per hour for the "
                    "time spent, at least %(minimum)s per request. It is not drawn from prepaid "
                    "support packs.",
                    rate=rate,
                    minimum=minimum,
                )
                if has_minimum
                else self.env._(
                    "Billable: this service is charged separately at %(rate)s per hour for the "
                    "time spent. It is not drawn from prepaid support packs.",
                    rate=rate,
                )
            ]
        else:
            lines = [
                self.env._(
                    "Billable: charged at %(rate)s per hour for the time spent, at least "
                    "%(minimum)s per request.",
                    rate=rate,
                    minimum=minimum,
                )
                if has_minimum
                else self.env._(
                    "Billable: charged at %(rate)s per hour for the time spent.", rate=rate
                )
            ]
        return {"terms": terms, "separate": separate, "pack": pack, "lines": lines}

    @api.model
    def _portal_decide(self, category, request_date=None):
        """What the server decides for a request of the current user in `category`, in words.

        Calls the same `_decide_coverage` as the backend, on unsaved values.
        """
        partner = self.env.user.partner_id
        values = self._portal_decision_values(category, request_date)
        decision = self.sudo()._decide_coverage([values])[0]
        billable = decision["coverage"] == "billable"
        agreement = self.env["support.agreement"].sudo().browse(decision.get("agreement_id") or [])
        key_users = self.env["res.partner"].sudo().browse(decision.get("key_user_ids") or [])
        key_user_only = billable and decision.get("mode") == "key_user" and partner not in key_users
        labels = dict(self._fields["coverage"]._description_selection(self.env))
        result = {
            "coverage": decision["coverage"],
            "coverage_label": labels.get(decision["coverage"], decision["coverage"]),
            "reason": decision.get("reason") or "",
            "agreement": agreement.display_name or "",
            "key_user_only": key_user_only,
            "key_users": key_users.mapped("name") if key_user_only else [],
            "requires_acceptance": billable,
            "pack": False,
            "separate": False,
            "rate": "",
            "min_label": "",
            "lines": [],
        }
        lines = result["lines"]
        if not billable:
            lines.append(
                self.env._(
                    "Covered by your agreement %(agreement)s: this request is not charged.",
                    agreement=result["agreement"],
                )
            )
            return result
        cost = self._support_billable_terms(
            decision, category, partner, self.env.user.company_id, values["request_date"]
        )
        pack = cost["pack"]
        result.update(
            rate=cost["terms"]["rate"],
            min_label=cost["terms"]["min_label"],
            separate=cost["separate"],
            pack={
                "name": pack.name,
                "hours_remaining": pack.hours_remaining,
                "date_end": format_date(self.env, pack.date_end),
            }
            if pack
            else False,
        )
        lines += cost["lines"]
        if key_user_only:
            lines.append(
                self.env._(
                    "It is covered only when one of your Key Users asks for it: %(names)s.",
                    names=", ".join(result["key_users"]),
                )
            )
        return result

    @api.model
    def _portal_preview(self, category_id):
        """The decision for a request of the current user in `category_id` (an id from the
        browser), or ``{'error': message}`` when it is not an active service category."""
        try:
            category = self._portal_get_category(category_id)
        except UserError as error:
            return {"error": str(error)}
        return self._portal_decide(category)

    @api.model
    def _portal_create_request(self, values):
        """Create a request from the portal form of the current user.

        :param dict values: ``category_id``, ``name``, ``description`` (plain text),
            ``charge_accepted`` (truthy when the requester accepted the charge), ``priority``,
            ``cc_partner_ids`` (colleagues to copy: ids), ``attachment_ids`` and
            ``attachment_tokens`` (files uploaded as pending attachments, with their ownership
            tokens), ``environment_id`` (one of the user's environments, or empty)
        :return: the new ticket (sudo)
        :raise UserError: missing title or category, a billable request without acceptance,
            a colleague of another customer, a refused attachment
        """
        partner = self.env.user.partner_id
        category = self._portal_get_category(values.get("category_id"))
        name = (values.get("name") or "").strip()
        if not name:
            raise UserError(self.env._("Please give your request a title."))
        decision = self._portal_decide(category)
        accepted = bool(values.get("charge_accepted"))
        if decision["requires_acceptance"] and not accepted:
            raise UserError(
                self.env._("This request is billable: accept the charge before you submit it.")
            )
        colleagues = self._portal_get_colleagues(values.get("cc_partner_ids"))
        attachments = self._portal_pending_attachments(
            values.get("attachment_ids"), values.get("attachment_tokens")
        )
        environment = self._portal_get_environment(values.get("environment_id"))
        priority = str(values.get("priority") or "0")
        if priority not in dict(self._fields["priority"].selection):
            raise UserError(self.env._("Please choose a valid priority."))
        vals = {
            "name": name,
            "description": plaintext2html(values.get("description") or ""),
            "partner_id": partner.id,
            "category_id": category.id,
            "request_date": fields.Date.context_today(self),
            "company_id": self.env.user.company_id.id,
            "user_id": False,
            "priority": priority,
            "intake_channel": "portal",
            "environment_id": environment.id,
        }
        if decision["requires_acceptance"]:
            vals.update(
                charge_accepted=True,
                charge_accepted_by_id=partner.id,
                charge_accepted_date=fields.Datetime.now(),
            )
        ticket = self.sudo().with_context(support_defer_ack=True).create(vals)
        # The stored decision of the new ticket is the one that counts.
        if ticket.coverage == "billable" and not ticket.charge_accepted:
            raise UserError(
                self.env._("This request is billable: accept the charge before you submit it.")
            )
        ticket._portal_add_request_extras(partner, colleagues, attachments)
        return ticket

    @api.model
    def _portal_environment_options(self):
        """The environments the current user may name on a request: those the record rules
        let them read (their company's, for its Key Users)."""
        Environment = self.env["support.environment"]
        if not Environment.has_access("read"):
            return Environment
        return Environment.search([])

    @api.model
    def _portal_get_environment(self, environment_id):
        """The environment chosen on the form (empty: none), one of the user's options."""
        if not environment_id:
            return self.env["support.environment"]
        try:
            environment_id = int(environment_id)
        except (TypeError, ValueError):
            environment_id = 0
        environment = self._portal_environment_options().filtered(lambda e: e.id == environment_id)
        if not environment:
            raise UserError(self.env._("Please choose one of your environments."))
        return environment

    # ------------------------------------------------------------------------------------------
    # Portal: approval of work held past the packs (cost control)
    # ------------------------------------------------------------------------------------------
    def _portal_can_approve(self, partner=None):
        """Whether `partner` (default: the current user's) may approve held work on this ticket."""
        self.ensure_one()
        partner = partner or self.env.user.partner_id
        return (
            partner.commercial_partner_id == self.sudo().commercial_partner_id
            and partner._is_support_key_user()
        )

    def _portal_set_approval(self, approve):
        """Approve or refuse the held work of this ticket as the current portal user.

        support_timesheet's approval methods check the user's read access and that the user is
        a Key User of the customer.
        """
        self.ensure_one()
        self.check_access("read")
        if not self._portal_can_approve():
            raise AccessError(
                self.env._("Only a Key User of the customer can approve or refuse work.")
            )
        if self.approval_state != "pending":
            raise UserError(self.env._("No work on this request is waiting for approval."))
        if approve:
            return self.action_approve_extra_hours()
        return self.action_refuse_extra_hours()
