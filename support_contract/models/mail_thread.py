from odoo import api, models


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
