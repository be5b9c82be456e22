from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class SupportCase(TransactionCase):
    """Customers with every agreement combination, a consultant and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env.user)
        cls.day = cls.today - relativedelta(days=10)
        cls.year_ago = cls.today - relativedelta(years=1)
        ref = cls.env.ref
        cls.type_on_demand = ref("support_contract.agreement_type_on_demand")
        cls.type_patch = ref("support_contract.agreement_type_patch")
        cls.type_maintenance = ref("support_contract.agreement_type_maintenance")
        cls.stage_new = ref("support_contract.stage_new")
        cls.stage_resolved = ref("support_contract.stage_resolved")
        cls.stage_cancelled = ref("support_contract.stage_cancelled")
        cls.categories = cls.env["support.service.category"].search([])
        cls.cat = {category.code: category for category in cls.categories}

        cls.manager = new_test_user(
            cls.env,
            login="sc_manager",
            groups="support_contract.group_support_manager",
            company_id=cls.company.id,
        )
        cls.consultant = new_test_user(
            cls.env,
            login="sc_consultant",
            groups="support_contract.group_support_user",
            company_id=cls.company.id,
        )
        Partner = cls.env["res.partner"]
        cls.cust_ondemand = Partner.create({"name": "Ondemand Kund AB", "is_company": True})
        cls.cust_patch = Partner.create({"name": "Patch Kund AB", "is_company": True})
        cls.cust_maint = Partner.create({"name": "Underhåll Kund AB", "is_company": True})
        cls.cust_lapsed = Partner.create({"name": "Förfallen Kund AB", "is_company": True})
        cls.cust_none = Partner.create({"name": "Avtalslös Kund AB", "is_company": True})
        cls.contact = {
            customer: Partner.create({"name": f"Kontakt {customer.name}", "parent_id": customer.id})
            for customer in (
                cls.cust_ondemand,
                cls.cust_patch,
                cls.cust_maint,
                cls.cust_lapsed,
                cls.cust_none,
            )
        }
        cls.maint_key = Partner.create({"name": "Karin Nyckel", "parent_id": cls.cust_maint.id})
        cls.lapsed_key = Partner.create({"name": "Lars Nyckel", "parent_id": cls.cust_lapsed.id})

        cls.agr_ondemand = cls._agreement(cls.cust_ondemand, cls.type_on_demand)
        cls.agr_patch = cls._agreement(cls.cust_patch, cls.type_patch)
        cls.agr_maint_patch = cls._agreement(cls.cust_maint, cls.type_patch)
        cls.agr_maint = cls._agreement(cls.cust_maint, cls.type_maintenance, cls.maint_key)
        cls.agr_lapsed_patch = cls._agreement(cls.cust_lapsed, cls.type_patch)
        cls.agr_lapsed = cls._agreement(cls.cust_lapsed, cls.type_maintenance, cls.lapsed_key)
        # The patch agreement of cust_lapsed ended a month ago; its maintenance goes on.
        cls.agr_lapsed_patch.write(
            {"state": "closed", "date_end": cls.today - relativedelta(months=1)}
        )

    @classmethod
    def _agreement(cls, customer, agreement_type, key_users=None, **vals):
        agreement = cls.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": agreement_type.id,
                "date_start": cls.year_ago,
                "key_user_ids": [(6, 0, key_users.ids if key_users else [])],
                **vals,
            }
        )
        agreement.action_activate()
        return agreement

    @classmethod
    def _ticket(cls, requester, category, **vals):
        return cls.env["support.ticket"].create(
            {
                "name": f"{category.code} for {requester.name}",
                "partner_id": requester.id,
                "category_id": category.id,
                "request_date": cls.day,
                **vals,
            }
        )
