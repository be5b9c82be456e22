"""Customer notices about prepaid packs: running low, and expiring soon with hours left. Sent to
the customer's Key Users (followers of the pack) with a subtype they may unfollow."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import format_date

EXPIRY_NOTICE_DAYS = 30


class SupportHourPack(models.Model):
    _inherit = "support.hour.pack"

    expiry_notice_sent = fields.Boolean(
        string="Expiry Notice Sent",
        readonly=True,
        copy=False,
        help="The customer was told that this pack expires soon with hours left.",
    )

    def _support_pack_notification_values(self, kind):
        self.ensure_one()
        pack = self.sudo()
        values = {
            "pack": pack.name,
            "hours": f"{pack.hours_remaining:g}",
            "total": f"{pack.hours:g}",
            "date": format_date(self.env, pack.date_end),
        }
        if kind == "low":
            lines = [
                self.env._(
                    "Your prepaid support pack %(pack)s has %(hours)s hours left of %(total)s "
                    "(valid until %(date)s). Contact us to top it up.",
                    **values,
                )
            ]
        else:
            lines = [
                self.env._(
                    "Your prepaid support pack %(pack)s expires on %(date)s with %(hours)s hours "
                    "left of %(total)s. Hours not used by then are lost.",
                    **values,
                )
            ]
        return {"lines": lines, "url": pack.get_base_url() + "/my/support/packs"}

    def _support_pack_notification_subject(self, kind):
        self.ensure_one()
        if kind == "low":
            return self.env._("Support pack %(pack)s is running low", pack=self.name)
        return self.env._("Support pack %(pack)s expires soon", pack=self.name)

    def _support_pack_key_users(self):
        """The customer's Key Users today (``res.partner._is_support_key_user``: named on an
        agreement of the pack's customer and company in force today)."""
        self.ensure_one()
        Agreement = self.env["support.agreement"].sudo()
        agreements = Agreement.search(
            Agreement._get_in_force_domain()
            & Domain("partner_id", "=", self.partner_id.id)
            & Domain("company_id", "=", self.company_id.id)
        )
        return agreements.key_user_ids.filtered(
            lambda contact: contact._support_key_user_agreements(agreements=agreements)
        )

    def _support_notify_customer(self, kind):
        """Post the notice `kind` (``low``, ``expiry``) to the pack's followers; the customer's
        Key Users today follow the pack from the first notice on, its other contacts not."""
        template = self.env.ref(
            f"support_portal.mail_template_pack_{kind}", raise_if_not_found=False
        )
        if not template:
            return
        system = self.env.ref("base.user_root")
        for pack in self.sudo().with_user(system):
            key_users = pack._support_pack_key_users()
            if key_users:
                pack.message_subscribe(partner_ids=key_users.ids)
            # The customer's contacts who are no longer Key Users are told no more.
            former = (
                pack.message_partner_ids.filtered(
                    lambda p, pack=pack: p.commercial_partner_id == pack.partner_id
                )
                - key_users
            )
            if former:
                pack.message_unsubscribe(partner_ids=former.ids)
            pack.message_post_with_source(
                template,
                subtype_xmlid="support_portal.mt_pack_notice",
                message_type="comment",
                author_id=pack.company_id.partner_id.id,
            )

    def _send_balance_warnings(self):
        fresh = self.filtered(lambda p: not p.warning_sent)
        res = super()._send_balance_warnings()
        fresh.filtered("warning_sent")._support_notify_customer("low")
        return res

    @api.model
    def _cron_support_pack_expiry_notices(self):
        """Tell customers once about each pack that expires within 30 days with hours left."""
        today = fields.Date.context_today(self)
        packs = self.sudo().search(
            [
                ("expiry_notice_sent", "=", False),
                ("date_end", ">=", today),
                ("date_end", "<=", today + timedelta(days=EXPIRY_NOTICE_DAYS)),
                ("hours_remaining", ">", 0),
            ]
        )
        packs._support_notify_customer("expiry")
        packs.expiry_notice_sent = True
        return True
