from dateutil.relativedelta import relativedelta

from odoo.addons.support_timesheet.tests.common import SupportTimesheetFixtureMixin


class SupportPortalFixture(SupportTimesheetFixtureMixin):
    """Two customers with portal contacts; never relies on demo data.

    - customer A: patch + maintenance, Key User ``key_a`` (portal ``sp_key_a``), ordinary
      contact ``user_a`` (portal ``sp_user_a``), cost control on, a 1-hour pack;
    - customer B: On-Demand, contact ``user_b`` (portal ``sp_user_b``), a 25-hour pack.
    """

    @classmethod
    def _setup_portal_fixture(cls):
        env = cls.env
        cls._setup_support_basics()
        ref = env.ref
        cls.cat_bug_fix = ref("support_contract.category_bug_fix")
        cls.cat_db_correction = ref("support_contract.category_db_correction")
        cls.cat_code_upgrade = ref("support_contract.category_code_upgrade")

        cls.cust_a = cls._customer("Portal Kund A AB")
        cls.cust_b = cls._customer("Portal Kund B AB")
        cls.key_a = cls._contact(cls.cust_a, "Anna Nyckel", email="anna@a.example.com")
        cls.user_a = cls._contact(cls.cust_a, "Arne Vanlig", email="arne@a.example.com")
        cls.user_b = cls._contact(cls.cust_b, "Bertil Kund", email="bertil@b.example.com")
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
        return cls._user(
            login,
            "base.group_portal",
            name=partner.name,
            password=f"{login}-pw",
            partner_id=partner.id,
        )

    @classmethod
    def _pack(cls, customer, hours, date_start=None, date_end=None, **vals):
        """Valid from a year ago until a year from now."""
        return super()._pack(
            customer,
            hours,
            date_start,
            date_end or cls.today + relativedelta(years=1),
            **vals,
        )

    @classmethod
    def _log(cls, ticket, hours, date=None, user=None, **vals):
        """Logged today by the portal tests' consultant."""
        return super()._log(ticket, hours, date, user, **{"employee_id": cls.employee.id, **vals})
