import logging

from odoo import api, models
from odoo.tools import email_normalize

_logger = logging.getLogger(__name__)

# Headers of automated mail (RFC 3834 auto-replies, mailing lists, bulk): never answered.
AUTOMATED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOMATED_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id")


def is_automated_mail(message):
    """Whether an incoming e-mail was sent by a machine (auto-reply, list, bulk, bounce)."""
    auto_submitted = (message.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if (message.get("Precedence") or "").strip().lower() in AUTOMATED_PRECEDENCE:
        return True
    if (message.get("Return-Path") or "").strip() == "<>":
        return True
    return any(message.get(header) for header in AUTOMATED_HEADERS)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        """Replies to a support ticket may start a new ticket instead (see
        ``support.ticket._support_reply_route``): a reply after the reopen window, or from a
        contact of another customer. Mail from the database's own gateway addresses is
        dropped (a loop). Odoo's own routing, loop and bounce checks run first. The shared
        ``message_dict`` is left as Odoo's routing made it: the routes of other models read it."""
        routes = super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )
        if self._support_is_own_alias_mail(message_dict, routes):
            _logger.info(
                "Ignored mail from %s to %s with Message-Id %s: sent by an address of this "
                "database's own mail gateway (a loop)",
                message_dict.get("email_from"),
                message_dict.get("to"),
                message_dict.get("message_id"),
            )
            routes = [route for route in routes if route[0] != "support.ticket"]
        result = []
        for route in routes:
            route_model, route_thread_id, route_values, user_id, alias = route
            if route_model == "support.ticket" and route_thread_id:
                new_thread_id, new_values = self.env["support.ticket"]._support_reply_route(
                    route_thread_id, message_dict
                )
                if not new_thread_id:
                    route = (route_model, False, new_values, user_id, alias)
            result.append(route)
        return result

    @api.model
    def _support_is_own_alias_mail(self, message_dict, routes):
        """Whether an e-mail for the support desk comes from one of this database's own
        gateway addresses (an alias, the catchall, the bounce or default sender address:
        Odoo's ``mail.alias.domain._find_aliases``, which its gateway never makes contacts of):
        a loop, dropped without a ticket, a contact or an answer."""
        if not any(route[0] == "support.ticket" for route in routes):
            return False
        email = email_normalize(message_dict.get("email_from") or "")
        return bool(email and self.env["mail.alias.domain"].sudo()._find_aliases([email]))

    def _message_route_process(self, message, message_dict, routes):
        """Tell support tickets whether the e-mail is automated: the desk never writes back to
        it (``support.ticket._support_answer_sender``). The flag can only keep an answer from
        being sent."""
        if is_automated_mail(message) and any(route[0] == "support.ticket" for route in routes):
            self = self.with_context(support_mail_automated=True)
        return super()._message_route_process(message, message_dict, routes)
