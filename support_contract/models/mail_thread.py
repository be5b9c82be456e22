from odoo import api, models

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
        contact of another customer. Odoo's own routing, loop and bounce checks run first."""
        routes = super().message_route(
            message, message_dict, model=model, thread_id=thread_id, custom_values=custom_values
        )
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

    def _message_route_process(self, message, message_dict, routes):
        """Tell support tickets whether the e-mail is automated: the desk never writes back to
        it (``support.ticket._support_answer_sender``). The flag can only keep an answer from
        being sent."""
        if is_automated_mail(message) and any(route[0] == "support.ticket" for route in routes):
            self = self.with_context(support_mail_automated=True)
        return super()._message_route_process(message, message_dict, routes)
