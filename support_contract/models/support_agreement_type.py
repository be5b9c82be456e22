from odoo import api, fields, models


class SupportAgreementType(models.Model):
    _name = "support.agreement.type"
    _description = "Support Agreement Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Technical code, e.g. on_demand, patch, maintenance.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    default_monthly_fee = fields.Monetary(
        currency_field="currency_id", help="Monthly fee proposed for new agreements of this type."
    )
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, required=True
    )
    prerequisite_type_id = fields.Many2one(
        "support.agreement.type",
        string="Requires",
        help="An agreement of this type covers nothing on a date when the customer has no active "
        "agreement of the required type.",
    )
    min_billed_hours = fields.Float(
        string="Minimum per Request (h)",
        default=0.5,
        help="A billable request is billed at least this many hours in total.",
    )
    rounding_step = fields.Float(
        string="Rounding Step (h)",
        default=0.0,
        help="Billed hours of a request are rounded up to a multiple of this step "
        "(0: no rounding).",
    )
    rule_ids = fields.One2many("support.coverage.rule", "type_id", string="Coverage Rules")
    environment_patch_type = fields.Selection(
        [("infrastructure", "Infrastructure"), ("odoo_source", "Odoo source patches")],
        string="Patches Environments",
        help="What an agreement of this type patches on the customer environments it covers "
        "each month (one patch ticket per environment). Empty: it covers no environment.",
    )

    _code_unique = models.Constraint(
        "UNIQUE(code)", "An agreement type with this code already exists."
    )

    @api.model
    def _support_set_default_environment_patch_types(self):
        """The seeded patch agreement patches the infrastructure, the maintenance agreement the
        Odoo source (left alone once set)."""
        for xmlid, patch_type in (
            ("support_contract.agreement_type_patch", "infrastructure"),
            ("support_contract.agreement_type_maintenance", "odoo_source"),
        ):
            agreement_type = self.env.ref(xmlid, raise_if_not_found=False)
            if agreement_type and not agreement_type.environment_patch_type:
                agreement_type.environment_patch_type = patch_type
        return True

    def write(self, vals):
        res = super().write(vals)
        if "prerequisite_type_id" in vals:
            agreements = self.env["support.agreement"].sudo().search([("type_id", "in", self.ids)])
            self.env["support.ticket"]._redecide_coverage_for(
                partner_ids=set(agreements.partner_id.ids)
            )
        return res
