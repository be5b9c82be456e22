from operator import itemgetter
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import groupby as groupbyelem

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class SupportCustomerPortal(CustomerPortal):
    """Support pages of the customer portal: access checks, reading the request, rendering.

    What is decided (coverage, billing terms, who may approve) lives in the models.
    """

    # ------------------------------------------------------------------------------------------
    # Home
    # ------------------------------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        Ticket = request.env["support.ticket"]
        if "support_ticket_count" in counters:
            values["support_ticket_count"] = (
                Ticket.search_count([]) if Ticket.has_access("read") else 0
            )
        if "support_open_ticket_count" in counters:
            values["support_open_ticket_count"] = (
                Ticket.search_count(self._support_ticket_filters()["open"]["domain"])
                if Ticket.has_access("read")
                else 0
            )
        if "support_held_ticket_count" in counters:
            values["support_held_ticket_count"] = (
                Ticket.search_count([("approval_state", "=", "pending")])
                if Ticket.has_access("read")
                else 0
            )
        return values

    # ------------------------------------------------------------------------------------------
    # Ticket list
    # ------------------------------------------------------------------------------------------
    # Labels are translated into variables first: Odoo's term extractor would otherwise also
    # pick up the technical strings next to them.
    def _support_ticket_filters(self):
        _ = request.env._
        label_all, label_open, label_resolved = _("All"), _("Open"), _("Resolved")
        label_covered, label_billable = _("Covered"), _("Billable")
        return {
            "all": {"label": label_all, "domain": []},
            "open": {
                "label": label_open,
                "domain": [("is_closed", "=", False), ("is_cancelled", "=", False)],
            },
            "resolved": {"label": label_resolved, "domain": [("is_closed", "=", True)]},
            "covered": {"label": label_covered, "domain": [("coverage", "=", "covered")]},
            "billable": {"label": label_billable, "domain": [("coverage", "=", "billable")]},
        }

    def _support_ticket_sortings(self):
        _ = request.env._
        label_date, label_number, label_name = _("Newest"), _("Reference"), _("Title")
        label_stage, label_coverage = _("Status"), _("Coverage")
        return {
            "date": {"label": label_date, "order": "request_date desc, id desc"},
            "number": {"label": label_number, "order": "number desc, id desc"},
            "name": {"label": label_name, "order": "name, id"},
            "stage": {"label": label_stage, "order": "stage_id, id desc"},
            "coverage": {"label": label_coverage, "order": "coverage, id desc"},
        }

    def _support_ticket_groupbys(self):
        _ = request.env._
        label_none, label_stage, label_coverage = _("None"), _("Status"), _("Coverage")
        label_category, label_requester = _("Service Category"), _("Requester")
        return {
            "none": {"label": label_none},
            "stage_id": {"label": label_stage},
            "coverage": {"label": label_coverage},
            "category_id": {"label": label_category},
            "partner_id": {"label": label_requester},
        }

    def _support_ticket_search_inputs(self):
        _ = request.env._
        label_all = _("Search in Reference and Title")
        label_category = _("Search in Service Category")
        label_requester = _("Search in Requester")
        label_description = _("Search in Description")
        return {
            "all": {"input": "all", "label": label_all},
            "category": {"input": "category", "label": label_category},
            "requester": {"input": "requester", "label": label_requester},
            "description": {"input": "description", "label": label_description},
        }

    def _support_ticket_search_domain(self, search_in, search):
        if search_in == "category":
            return Domain("category_id.name", "ilike", search)
        if search_in == "requester":
            return Domain("partner_id.name", "ilike", search)
        if search_in == "description":
            return Domain("description", "ilike", search)
        return Domain("number", "ilike", search) | Domain("name", "ilike", search)

    @http.route(
        ["/my/support/tickets", "/my/support/tickets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_support_tickets(
        self, page=1, sortby=None, filterby=None, groupby=None, search=None, search_in="all", **kw
    ):
        Ticket = request.env["support.ticket"]
        filters = self._support_ticket_filters()
        sortings = self._support_ticket_sortings()
        groupbys = self._support_ticket_groupbys()
        inputs = self._support_ticket_search_inputs()
        filterby = filterby if filterby in filters else "all"
        sortby = sortby if sortby in sortings else "date"
        groupby = groupby if groupby in groupbys else "none"
        search_in = search_in if search_in in inputs else "all"

        domain = Domain(filters[filterby]["domain"])
        if search:
            domain &= self._support_ticket_search_domain(search_in, search)
        order = sortings[sortby]["order"]
        if groupby != "none":
            order = f"{groupby}, {order}"

        total = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/support/tickets",
            url_args={
                "sortby": sortby,
                "filterby": filterby,
                "groupby": groupby,
                "search_in": search_in,
                "search": search,
            },
            total=total,
            page=page,
            step=self._items_per_page,
        )
        tickets = Ticket.search(
            domain, order=order, limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_support_tickets_history"] = tickets.ids[:100]
        # The page shows only what the record rules let the search return; read it in batch.
        tickets = tickets.sudo()._portal_prefetch_list()
        if groupby == "none":
            grouped_tickets = [tickets] if tickets else []
        else:
            # Keep the prefetch of the whole page: one query per related model, whatever the
            # number of groups.
            grouped_tickets = [
                tickets.browse().concat(*group).with_prefetch(tickets._prefetch_ids)
                for _key, group in groupbyelem(tickets, itemgetter(groupby))
            ]

        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "support_ticket",
                "default_url": "/my/support/tickets",
                "grouped_tickets": grouped_tickets,
                "pager": pager,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_groupby": groupbys,
                "groupby": groupby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
                "coverage_labels": dict(
                    Ticket._fields["coverage"]._description_selection(request.env)
                ),
                "is_key_user": request.env.user.partner_id._is_support_key_user(),
                "follows_all": request.env.user.partner_id.sudo().support_follow_all,
            }
        )
        return request.render("support_portal.portal_my_support_tickets", values)

    # ------------------------------------------------------------------------------------------
    # Ticket page
    # ------------------------------------------------------------------------------------------
    def _support_ticket_get_page_view_values(self, ticket_sudo, access_token, **kwargs):
        user_partner = request.env.user.partner_id
        is_customer = (
            not request.env.user._is_public()
            and not access_token
            and user_partner.commercial_partner_id == ticket_sudo.commercial_partner_id
        )
        values = {
            "page_name": "support_ticket",
            "ticket": ticket_sudo,
            "can_approve": (
                not request.env.user._is_public()
                and not access_token
                and ticket_sudo._portal_can_approve(user_partner)
            ),
            "can_close": is_customer and not ticket_sudo.is_closed and not ticket_sudo.is_cancelled,
            "can_reopen": is_customer and ticket_sudo._portal_can_reopen(),
            # The environment is named to those who may open it (the record rules).
            "environment_visible": bool(
                ticket_sudo.environment_id
                and not request.env.user._is_public()
                and not access_token
                and request.env["support.environment"].has_access("read")
                and request.env["support.environment"].search_count(
                    [("id", "=", ticket_sudo.environment_id.id)]
                )
            ),
            "attachments": ticket_sudo._portal_visible_attachments(),
        }
        return self._get_page_view_values(
            ticket_sudo, access_token, values, "my_support_tickets_history", False, **kwargs
        )

    @http.route(["/my/support/tickets/<int:ticket_id>"], type="http", auth="public", website=True)
    def portal_my_support_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket_sudo = self._document_check_access("support.ticket", ticket_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._support_ticket_get_page_view_values(ticket_sudo, access_token, **kw)
        return request.render("support_portal.portal_my_support_ticket", values)

    @http.route(
        ["/my/support/tickets/<int:ticket_id>/approval"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_support_ticket_approval(self, ticket_id, decision=None, redirect=None, **kw):
        return self._support_ticket_post(
            ticket_id,
            lambda ticket: ticket._portal_set_approval(decision == "approve"),
            "/my/support/packs" if redirect == "packs" else None,
        )

    @http.route(
        ["/my/support/tickets/<int:ticket_id>/<any(close,reopen):action>"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_support_ticket_close_reopen(self, ticket_id, action, **kw):
        """The customer closes a request they consider solved, or reopens a resolved one."""
        return self._support_ticket_post(
            ticket_id,
            lambda ticket: (
                ticket.action_portal_close() if action == "close" else ticket.action_portal_reopen()
            ),
        )

    def _support_ticket_post(self, ticket_id, act, target=None):
        """Run ``act(ticket)`` as the portal user, then go to ``target`` (default: the ticket).
        A ticket they may not see sends them to /my; a refusal back to the ticket, with why."""
        page = f"/my/support/tickets/{ticket_id}"
        try:
            act(request.env["support.ticket"].browse(ticket_id))
        except (AccessError, MissingError):
            return request.redirect("/my")
        except UserError as error:
            return request.redirect(f"{page}?{urlencode({'error': str(error)})}")
        return request.redirect(target or page)

    @http.route(["/my/support/follow"], type="http", auth="user", methods=["POST"], website=True)
    def portal_my_support_follow(self, follow=None, **kw):
        """A Key User follows (or stops following) all of the company's requests."""
        try:
            request.env["res.partner"]._portal_set_follow_all(follow == "1")
        except AccessError:
            return request.redirect("/my")
        return request.redirect("/my/support/tickets")

    # ------------------------------------------------------------------------------------------
    # New request
    # ------------------------------------------------------------------------------------------
    def _support_new_ticket_values(self, form=None, error=None, decision=None):
        form = form or {}
        # The files already uploaded stay with the form when it comes back with an error.
        try:
            attachments = request.env["support.ticket"]._portal_pending_attachments(
                form.get("attachment_ids"), form.get("attachment_tokens")
            )
        except UserError:
            attachments = request.env["ir.attachment"]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "support_ticket_new",
                "categories": request.env["support.service.category"].search([]),
                "colleagues": request.env["support.ticket"]._portal_colleague_options(),
                "environments": request.env["support.ticket"]._portal_environment_options(),
                "priorities": request.env["support.ticket"]
                ._fields["priority"]
                ._description_selection(request.env),
                "form": form,
                "pending_attachments": [
                    {"id": a.id, "name": a.name, "token": a._get_ownership_token()}
                    for a in attachments
                ],
                "error": error,
                "decision": decision,
            }
        )
        return values

    @http.route(
        ["/my/support/tickets/new"], type="http", auth="user", methods=["GET"], website=True
    )
    def portal_my_support_ticket_new(self, **kw):
        return request.render(
            "support_portal.portal_my_support_ticket_new", self._support_new_ticket_values()
        )

    @http.route(
        ["/my/support/tickets/new"], type="http", auth="user", methods=["POST"], website=True
    )
    def portal_my_support_ticket_submit(self, **post):
        Ticket = request.env["support.ticket"]
        form = request.httprequest.form
        post = dict(
            post,
            cc_partner_ids=form.getlist("cc_partner_ids"),
            attachment_ids=form.getlist("attachment_ids"),
            attachment_tokens=form.getlist("attachment_tokens"),
        )
        try:
            with request.env.cr.savepoint():
                ticket = Ticket._portal_create_request(post)
        except UserError as error:
            decision = Ticket._portal_preview(post.get("category_id"))
            if "error" in decision:
                decision = None
            values = self._support_new_ticket_values(form=post, error=str(error), decision=decision)
            return request.render("support_portal.portal_my_support_ticket_new", values)
        return request.redirect(ticket.access_url)

    @http.route(["/my/support/tickets/decide"], type="jsonrpc", auth="user", website=True)
    def portal_my_support_ticket_decide(self, category_id=None, **kw):
        """The server's decision for an unsaved request, shown before the customer submits."""
        return request.env["support.ticket"]._portal_preview(category_id)

    # ------------------------------------------------------------------------------------------
    # Agreements and packs
    # ------------------------------------------------------------------------------------------
    @http.route(["/my/support/agreements"], type="http", auth="user", website=True)
    def portal_my_support_agreements(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "support_agreement",
                "agreements": request.env["support.agreement"].search([]),
            }
        )
        return request.render("support_portal.portal_my_support_agreements", values)

    @http.route(["/my/support/packs"], type="http", auth="user", website=True)
    def portal_my_support_packs(self, **kw):
        env = request.env
        partner = env.user.partner_id
        values = self._prepare_portal_layout_values()
        values.update(env["support.hour.pack"]._portal_packs_page_values(partner))
        values["page_name"] = "support_pack"
        return request.render("support_portal.portal_my_support_packs", values)

    # ------------------------------------------------------------------------------------------
    # Environments (Key Users: the record rules decide who sees which)
    # ------------------------------------------------------------------------------------------
    @http.route(["/my/support/environments"], type="http", auth="user", website=True)
    def portal_my_support_environments(self, **kw):
        Environment = request.env["support.environment"]
        environments = Environment.search([]) if Environment.has_access("read") else Environment
        values = self._prepare_portal_layout_values()
        values.update(environments._portal_list_values())
        values["page_name"] = "support_environment"
        return request.render("support_portal.portal_my_support_environments", values)

    @http.route(
        ["/my/support/environments/<int:environment_id>"], type="http", auth="user", website=True
    )
    def portal_my_support_environment(self, environment_id, **kw):
        Environment = request.env["support.environment"]
        environment = (
            Environment.search([("id", "=", environment_id)])
            if Environment.has_access("read")
            else Environment
        )
        if not environment:
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(environment._portal_page_values())
        values["page_name"] = "support_environment"
        return request.render("support_portal.portal_my_support_environment", values)
