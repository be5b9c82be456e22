"""Customer satisfaction through Odoo's rating: a ticket is rated by its requester (the
resolution notice of support_portal carries the request), the consultant is the one rated, and
the agreement type of its service levels is the rating's parent (ratings by type)."""

from odoo import models


class SupportAgreementType(models.Model):
    _name = "support.agreement.type"
    _inherit = ("support.agreement.type", "rating.parent.mixin")


class SupportTicket(models.Model):
    _inherit = "support.ticket"

    def _rating_get_parent_field_name(self):
        return "sla_type_id"

    def _support_rating_token(self):
        """The access token of the requester's pending rating of this ticket (created on the
        first call): the links of the resolution notice use it."""
        self.ensure_one()
        return self._rating_get_access_token()

    def action_open_ratings(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_contract.rating_rating_action_support"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["view_mode"] = "list,form"
        action["views"] = [(False, "list"), (False, "form")]
        return action
