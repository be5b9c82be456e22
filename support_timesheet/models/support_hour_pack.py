from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, float_compare

from .support_billing_mixin import lock_rows, lock_rows_sql

# How long a writer of a pack balance waits for another one before failing (and being retried).
PACK_LOCK_TIMEOUT = "2s"


class SupportHourPack(models.Model):
    _name = "support.hour.pack"
    _inherit = ["support.hour.pack", "mail.activity.mixin", "support.protected.mixin"]  # noqa: RUF012

    consumption_ids = fields.One2many(
        "support.hour.pack.consumption", "pack_id", string="Consumption", readonly=True
    )
    consumption_count = fields.Integer(compute="_compute_consumption_count")
    invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Sold on Invoice Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    warning_sent = fields.Boolean(
        string="Balance Warning Sent",
        readonly=True,
        copy=False,
        help="The low-balance warning went out for this pack.",
    )
    is_running_low = fields.Boolean(
        string="Running Low",
        compute="_compute_is_running_low",
        search="_search_is_running_low",
        help="Hours left at or below the customer's warning level (Pack Balance Warning; 0: "
        "never): the level at which the account manager and the customer are warned.",
    )

    _hours_remaining_positive = models.Constraint(
        "CHECK(hours_remaining >= -0.0001)", "A support pack never goes below zero hours."
    )

    @api.depends("hours", "consumption_ids.hours")
    def _compute_hours_used(self):
        data = {}
        if self.ids:
            groups = self.env["support.hour.pack.consumption"]._read_group(
                [("pack_id", "in", self.ids)], ["pack_id"], ["hours:sum"]
            )
            data = {pack.id: hours for pack, hours in groups}
        for pack in self:
            used = data.get(pack._origin.id or pack.id, 0.0) if pack.id else 0.0
            pack.update(pack._support_hours_used_vals(used))

    def _support_hours_used_vals(self, used):
        """The values of the pack's balance from the hours of its draws: the one home of what
        they store, for their compute and for the billing engine, which knows what it drew and
        saves the balance with the draws (``support.ticket._support_billing_save``)."""
        self.ensure_one()
        return {"hours_used": used, "hours_remaining": self.hours - used}

    @api.constrains("hours")
    def _check_hours_drawn(self):
        for pack in self:
            if float_compare(pack.hours, pack.hours_used, precision_digits=4) < 0:
                raise ValidationError(
                    self.env._(
                        "Support pack %(pack)s: %(used).2f hours are already drawn, more than "
                        "the %(hours).2f hours you set.",
                        pack=pack.name,
                        used=pack.hours_used,
                        hours=pack.hours,
                    )
                )

    @api.model
    def _get_running_low_domain(self, levels=None):
        """Packs whose hours left are at or below their customer's warning level
        (``res.partner.support_pack_warning_hours``, 0: never): the one definition, for the
        warnings and the dashboard. One term per warning level in use (``levels``: the levels
        of the packs at hand, when known)."""
        if levels is None:
            groups = (
                self.env["res.partner"]
                .sudo()
                ._read_group(
                    [("support_pack_warning_hours", ">", 0), ("support_pack_ids", "!=", False)],
                    ["support_pack_warning_hours"],
                )
            )
            levels = [level for (level,) in groups]
        return Domain.OR(
            Domain("partner_id.support_pack_warning_hours", "=", level)
            # At or below, at the precision of pack balances (4 digits).
            & Domain("hours_remaining", "<", level + 0.00005)
            for level in levels
            if level > 0
        )

    @api.depends("hours_remaining", "partner_id.support_pack_warning_hours")
    def _compute_is_running_low(self):
        # Only the warning level: the engine checks the packs it drew from on every line logged,
        # and reading the customers' whole rows for it cost more than the rest of the check.
        self.partner_id.fetch(["support_pack_warning_hours"])
        levels = set(self.partner_id.mapped("support_pack_warning_hours"))
        low = self.filtered_domain(self._get_running_low_domain(levels))
        for pack in self:
            pack.is_running_low = pack in low

    def _search_is_running_low(self, operator, value):
        if operator != "in":
            return NotImplemented
        domain = self._get_running_low_domain()
        if True in value:
            return Domain.TRUE if False in value else domain
        return ~domain

    def _compute_consumption_count(self):
        groups = self.env["support.hour.pack.consumption"]._read_group(
            [("pack_id", "in", self.ids)], ["pack_id"], ["__count"]
        )
        data = {pack.id: count for pack, count in groups}
        for pack in self:
            pack.consumption_count = data.get(pack.id, 0)

    # The order packs are drawn in: oldest first.
    _support_draw_order = "date_start, id"

    @api.model
    def _support_draw_candidates(self, partners, companies):
        """The packs of the customers `partners` in `companies`, in draw order (sudo), their
        fields read in the same query. The one home of the draw order, for the billing engine
        and the portal; validity on a date is `_is_valid_on`."""
        return self.sudo().search_fetch(
            [("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
            order=self._support_draw_order,
        )

    def _is_valid_on(self, date):
        self.ensure_one()
        return self.date_start <= date <= self.date_end

    def _support_can_draw(self, date, left=None):
        """Whether work of `date` can draw from the pack: valid on that date with hours left
        (`left`: what the caller has left of it, by default its stored balance). The one home
        of the filter, for the billing engine and what customers are told."""
        self.ensure_one()
        if left is None:
            left = self.hours_remaining
        return self._is_valid_on(date) and float_compare(left, 0, precision_digits=4) > 0

    def _lock_for_update(self):
        """Lock the packs' rows: concurrent writers of a balance wait for each other.

        The second writer waits up to PACK_LOCK_TIMEOUT for the first to commit, then fails on
        the serialization check (the balance changed) or on the lock; the RPC/HTTP layer retries
        the whole transaction, which then sees the first writer's consumption. Waiting instead of
        failing at once (NOWAIT) keeps Odoo's retries from running out while consultants keep
        logging on the same pack.
        """
        lock_rows(self, wait=PACK_LOCK_TIMEOUT)

    @api.model
    def _support_lock_sql_for(self, partners, companies):
        """The statement of ``_lock_for_update`` for the packs of the customers `partners` in
        `companies` (those ``_support_draw_candidates`` reads), before their ids are known: the
        billing engine runs it in the round trip of its first read."""
        where = SQL(
            "partner_id IN %s AND company_id IN %s",
            tuple(partners.ids) or (0,),
            tuple(companies.ids) or (0,),
        )
        return lock_rows_sql(self._table, where, wait=PACK_LOCK_TIMEOUT)

    def _send_balance_warnings(self):
        """Warn the account manager once when a pack runs low (an activity). The customer is
        told by support_portal's pack notice, its one home."""
        to_warn = self.filtered(lambda p: not p.warning_sent and p.is_running_low)
        if not to_warn:
            return
        Agreement = self.env["support.agreement"].sudo()
        agreements = Agreement.search(
            Agreement._get_in_force_domain() & Domain("partner_id", "in", to_warn.partner_id.ids),
            order="date_start desc",
        )
        manager_by_partner = {}
        for agreement in agreements:
            if agreement.user_id:
                manager_by_partner.setdefault(agreement.partner_id.id, agreement.user_id)
        for pack in to_warn.sudo():
            manager = manager_by_partner.get(pack.partner_id.id) or pack.partner_id.user_id
            summary = self.env._(
                "Support pack %(pack)s is running low: %(hours).2f h left",
                pack=pack.name,
                hours=pack.hours_remaining,
            )
            if manager:
                pack.activity_schedule(
                    "mail.mail_activity_data_todo", summary=summary, user_id=manager.id
                )
        to_warn.sudo().warning_sent = True

    def _support_protected_fields(self):
        """The sale that created the pack, the draws, the balance and the warning state: the
        server's."""
        return super()._support_protected_fields() | {
            "invoice_line_id",
            "consumption_ids",
            "hours_used",
            "hours_remaining",
            "warning_sent",
        }

    @api.model_create_multi
    def create(self, vals_list):
        packs = super().create(vals_list)
        packs._support_rebill()
        return packs

    def write(self, vals):
        drawn = self.env["support.ticket"]
        if {"partner_id", "date_start", "date_end", "hours"} & set(vals):
            drawn = self.sudo().consumption_ids.ticket_id
        res = super().write(vals)
        if drawn:
            self._support_rebill(drawn)
        return res

    def _support_rebill(self, drawn=None):
        """Re-bill the work the packs' change may affect: what drew from them (a shorter
        validity releases it) and the customers' hourly or held work (which may now draw).
        Work already invoiced keeps its draws."""
        waiting = (
            self.env["support.ticket"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", self.partner_id.ids),
                    "|",
                    ("hours_to_invoice", ">", 0),
                    ("hours_held", ">", 0),
                ]
            )
        )
        (waiting | (drawn or self.env["support.ticket"]))._support_recompute_billing()

    def action_view_consumption(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.support_hour_pack_consumption_action"
        )
        action["domain"] = [("pack_id", "=", self.id)]
        action["context"] = {}
        return action
