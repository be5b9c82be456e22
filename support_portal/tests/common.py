from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user


class SupportPortalFixture:
    """Two customers with portal contacts; never relies on demo data.

    - customer A: patch + maintenance, Key User ``key_a`` (portal ``sp_key_a``), ordinary
      contact ``user_a`` (portal ``sp_user_a``), cost control on, a 1-hour pack;
    - customer B: On-Demand, contact ``user_b`` (portal ``sp_user_b``), a 25-hour pack.
    """

    @classmethod
    def _setup_portal_fixture(cls):
        env = cls.env
        cls.company = env.company
        cls.today = fields.Date.context_today(env.user)
        cls.year_ago = cls.today - relativedelta(years=1)
        ref = env.ref
        cls.type_on_demand = ref("support_contract.agreement_type_on_demand")
        cls.type_patch = ref("support_contract.agreement_type_patch")
        cls.type_maintenance = ref("support_contract.agreement_type_maintenance")
        cls.cat_bug_fix = ref("support_contract.category_bug_fix")
        cls.cat_db_correction = ref("support_contract.category_db_correction")
        cls.cat_code_upgrade = ref("support_contract.category_code_upgrade")

        Partner = env["res.partner"]
        cls.cust_a = Partner.create({"name": "Portal Kund A AB", "is_company": True})
        cls.cust_b = Partner.create({"name": "Portal Kund B AB", "is_company": True})
        cls.key_a = Partner.create(
            {"name": "Anna Nyckel", "parent_id": cls.cust_a.id, "email": "anna@a.example.com"}
        )
        cls.user_a = Partner.create(
            {"name": "Arne Vanlig", "parent_id": cls.cust_a.id, "email": "arne@a.example.com"}
        )
        cls.user_b = Partner.create(
            {"name": "Bertil Kund", "parent_id": cls.cust_b.id, "email": "bertil@b.example.com"}
        )
        cls.portal_key_a = cls._portal_user("sp_key_a", cls.key_a)
        cls.portal_user_a = cls._portal_user("sp_user_a", cls.user_a)
        cls.portal_user_b = cls._portal_user("sp_user_b", cls.user_b)

        cls.agr_a_patch = cls._agreement(cls.cust_a, cls.type_patch)
        cls.agr_a_maint = cls._agreement(cls.cust_a, cls.type_maintenance, cls.key_a)
        cls.agr_b = cls._agreement(cls.cust_b, cls.type_on_demand)

        cls.pack_a = cls._pack(cls.cust_a, 1.0)
        cls.pack_b = cls._pack(cls.cust_b, 25.0)
        cls.cust_a.support_cost_control = True

        cls.ticket_key_a = cls._ticket(cls.key_a, cls.cat_bug_fix, name="Key user bug")
        cls.ticket_user_a = cls._ticket(cls.user_a, cls.cat_db_correction, name="Fix the data")
        cls.ticket_b = cls._ticket(cls.user_b, cls.cat_bug_fix, name="B's bug")
        cls.employee = env["hr.employee"].create(
            {"name": "Portal Test Consultant", "company_id": cls.company.id}
        )
        # 3 h on a billable request of cost-controlled customer A: 1 h from the pack, the rest
        # waits for a Key User's approval.
        cls._log(cls.ticket_user_a, 3.0)
        cls._log(cls.ticket_b, 2.0)

    @classmethod
    def _portal_user(cls, login, partner):
        return new_test_user(
            cls.env,
            login=login,
            name=partner.name,
            password=f"{login}-pw",
            groups="base.group_portal",
            partner_id=partner.id,
            company_id=cls.company.id,
        )

    @classmethod
    def _agreement(cls, customer, agreement_type, key_users=None):
        agreement = cls.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": agreement_type.id,
                "date_start": cls.year_ago,
                "key_user_ids": [(6, 0, key_users.ids if key_users else [])],
                "company_id": cls.company.id,
            }
        )
        agreement.action_activate()
        return agreement

    @classmethod
    def _pack(cls, customer, hours):
        return cls.env["support.hour.pack"].create(
            {
                "partner_id": customer.id,
                "hours": hours,
                "date_start": cls.year_ago,
                "date_end": cls.today + relativedelta(years=1),
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _ticket(cls, requester, category, **vals):
        return cls.env["support.ticket"].create(
            {
                "name": f"{category.code} for {requester.name}",
                "partner_id": requester.id,
                "category_id": category.id,
                "request_date": cls.today,
                "company_id": cls.company.id,
                **vals,
            }
        )

    @classmethod
    def _log(cls, ticket, hours):
        return cls.env["account.analytic.line"].create(
            {
                "name": "Work",
                "support_ticket_id": ticket.id,
                "unit_amount": hours,
                "employee_id": cls.employee.id,
                "date": cls.today,
            }
        )
