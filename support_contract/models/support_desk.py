"""Who answers new requests: a consultant per agreement, else per customer (see
support.ticket._support_assign)."""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    support_consultant_id = fields.Many2one(
        "res.users",
        string="Default Support Consultant",
        domain="[('share', '=', False)]",
        help="New requests of this customer are assigned to this consultant, unless its "
        "agreement names one.",
    )


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    consultant_id = fields.Many2one(
        "res.users",
        string="Default Consultant",
        domain="[('share', '=', False)]",
        tracking=True,
        help="New requests under this agreement are assigned to this consultant.",
    )
