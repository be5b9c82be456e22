from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class SupportFixtureMixin:
    """The suite's test helpers, shared by the fixtures of every support addon (they extend it):
    the seeded offer, users, customers, agreements, tickets and packs."""

    @classmethod
    def _setup_support_basics(cls):
        """The company, dates and the seeded agreement types, stages and categories."""
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env.user)
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

    @classmethod
    def _user(cls, login, groups, **vals):
        """A user of the fixture's time zone (so that its today is the fixture's whatever the
        hour) and, unless ``vals`` say otherwise, of its company. Every test user is made here."""
        vals = {"tz": cls.env.user.tz, "company_id": cls.company.id, **vals}
        return new_test_user(cls.env, login=login, groups=groups, **vals)

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _contact(cls, customer, name, **vals):
        return cls.env["res.partner"].create({"name": name, "parent_id": customer.id, **vals})

    @classmethod
    def _agreement(cls, customer, agreement_type, key_users=None, **vals):
        """An agreement since a year ago, activated."""
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
                "request_date": cls.today,
                **vals,
            }
        )

    @classmethod
    def _pack(cls, customer, hours, date_start=None, date_end=None, **vals):
        """A prepaid pack valid from ``date_start`` (default: a year ago) for two years."""
        date_start = date_start or cls.year_ago
        return cls.env["support.hour.pack"].create(
            {
                "partner_id": customer.id,
                "hours": hours,
                "date_start": date_start,
                "date_end": date_end or date_start + relativedelta(years=2),
                **vals,
            }
        )


class SupportCase(SupportFixtureMixin, TransactionCase):
    """Customers with every agreement combination, a consultant and a manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls._setup_support_basics()
        cls.day = cls.today - relativedelta(days=10)
        cls.manager = cls._user("sc_manager", "support_contract.group_support_manager")
        cls.consultant = cls._user("sc_consultant", "support_contract.group_support_user")
        cls.cust_ondemand = cls._customer("Ondemand Kund AB")
        cls.cust_patch = cls._customer("Patch Kund AB")
        cls.cust_maint = cls._customer("Underhåll Kund AB")
        cls.cust_lapsed = cls._customer("Förfallen Kund AB")
        cls.cust_none = cls._customer("Avtalslös Kund AB")
        cls.contact = {
            customer: cls._contact(customer, f"Kontakt {customer.name}")
            for customer in (
                cls.cust_ondemand,
                cls.cust_patch,
                cls.cust_maint,
                cls.cust_lapsed,
                cls.cust_none,
            )
        }
        cls.maint_key = cls._contact(cls.cust_maint, "Karin Nyckel")
        cls.lapsed_key = cls._contact(cls.cust_lapsed, "Lars Nyckel")

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
    def _ticket(cls, requester, category, **vals):
        """A request dated ten days ago."""
        return super()._ticket(requester, category, **{"request_date": cls.day, **vals})
