from odoo import fields, models

from odoo.addons.support_contract.models.support_coverage_rule import COVERAGE_MODES

# The order in which the portal lists what an agreement includes and excludes.
PORTAL_MODE_ORDER = [mode for mode, _label in COVERAGE_MODES]


class SupportAgreement(models.Model):
    _inherit = "support.agreement"

    def _portal_coverage_groups(self):
        """What this agreement includes and excludes, read from the service catalog rules.

        :return: list of dicts ``{'mode', 'label', 'categories'}`` in a fixed order, empty
            groups left out; ``categories`` is a recordset of support.service.category.
        """
        self.ensure_one()
        rules = self.type_id.rule_ids.filtered(lambda rule: rule.category_id.active)
        labels = dict(rules._fields["mode"]._description_selection(self.env))
        groups = []
        for mode in PORTAL_MODE_ORDER:
            categories = rules.filtered(lambda rule, mode=mode: rule.mode == mode).category_id
            if categories:
                groups.append(
                    {
                        "mode": mode,
                        "label": labels[mode],
                        "categories": categories.sorted(lambda c: (c.sequence, c.id)),
                    }
                )
        return groups

    def _portal_prerequisite_status(self, date=None):
        """Whether the agreement type's prerequisite is met for this customer on `date`
        (default: today), as the coverage decision sees it.

        :return: dict ``{'required': agreement type or empty, 'met': bool,
            'agreements': the agreements meeting it on that date}``
        """
        self.ensure_one()
        date = date or fields.Date.context_today(self)
        agreements = self._prerequisite_agreements(date).get(self.id, self.browse())
        return {
            "required": self.type_id.prerequisite_type_id,
            "met": self._is_prerequisite_met(date, agreements),
            "agreements": agreements.with_env(self.env),
        }
