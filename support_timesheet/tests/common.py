from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class SupportTimesheetCase(TransactionCase):
    """Customers on demand and under a patch agreement, a consultant, an accountant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env.user)
        cls.month_start = cls.today.replace(day=1)
        cls.year_ago = cls.today - relativedelta(years=1)
        ref = cls.env.ref
        cls.type_on_demand = ref("support_contract.agreement_type_on_demand")
        cls.type_patch = ref("support_contract.agreement_type_patch")
        cls.type_maintenance = ref("support_contract.agreement_type_maintenance")
        cls.type_on_demand.write({"min_billed_hours": 0.5, "rounding_step": 0.0})
        cls.stage_cancelled = ref("support_contract.stage_cancelled")
        cls.cat_tech = ref("support_contract.category_tech_env")
        cls.cat_db = ref("support_contract.category_db_correction")
        cls.hour = ref("support_timesheet.product_support_hour")
        cls.hour.lst_price = 1000.0
        cls.pack_25 = ref("support_timesheet.product_pack_25")

        cls.consultant = new_test_user(
            cls.env,
            login="st_consultant",
            groups="support_contract.group_support_user",
            company_id=cls.company.id,
        )
        cls.consultant2 = new_test_user(
            cls.env,
            login="st_consultant2",
            groups="support_contract.group_support_user",
            company_id=cls.company.id,
        )
        cls.accountant = new_test_user(
            cls.env,
            login="st_accountant",
            groups="account.group_account_invoice,support_contract.group_support_user",
            company_id=cls.company.id,
        )
        Employee = cls.env["hr.employee"]
        for user in (cls.consultant, cls.consultant2, cls.accountant):
            Employee.create({"name": user.name, "user_id": user.id, "company_id": cls.company.id})

        Partner = cls.env["res.partner"]
        cls.cust_a = Partner.create({"name": "Kund A AB", "is_company": True})
        cls.cust_b = Partner.create({"name": "Kund B AB", "is_company": True})
        cls.cust_patch = Partner.create({"name": "Patchkund AB", "is_company": True})
        cls.contact_a = Partner.create({"name": "Anna A", "parent_id": cls.cust_a.id})
        cls.contact_b = Partner.create({"name": "Bo B", "parent_id": cls.cust_b.id})
        cls.contact_patch = Partner.create({"name": "Per P", "parent_id": cls.cust_patch.id})
        cls.agr_patch = cls.env["support.agreement"].create(
            {
                "partner_id": cls.cust_patch.id,
                "type_id": cls.type_patch.id,
                "date_start": cls.year_ago,
                "monthly_fee": 495.0,
            }
        )
        cls.agr_patch.write({"state": "active"})

    @classmethod
    def _ticket(cls, requester, category=None, **vals):
        return cls.env["support.ticket"].create(
            {
                "name": f"Request of {requester.name}",
                "partner_id": requester.id,
                "category_id": (category or cls.cat_db).id,
                "request_date": vals.pop("request_date", cls.month_start),
                **vals,
            }
        )

    @classmethod
    def _log(cls, ticket, hours, date=None, user=None):
        user = user or cls.consultant
        return (
            cls.env["account.analytic.line"]
            .with_user(user)
            .create(
                {
                    "support_ticket_id": ticket.id,
                    "unit_amount": hours,
                    "date": date or cls.month_start,
                    "name": "Work",
                }
            )
        )

    @classmethod
    def _pack(cls, partner, hours, date_start=None, date_end=None):
        date_start = date_start or cls.year_ago
        return cls.env["support.hour.pack"].create(
            {
                "partner_id": partner.id,
                "hours": hours,
                "date_start": date_start,
                "date_end": date_end or date_start + relativedelta(years=2),
            }
        )

    @classmethod
    def _key_user_agreement(cls, customer, key_user):
        """An On-Demand agreement naming ``key_user``: who may answer on held hours."""
        agreement = cls.env["support.agreement"].create(
            {
                "partner_id": customer.id,
                "type_id": cls.type_on_demand.id,
                "date_start": cls.year_ago,
                "key_user_ids": [(6, 0, key_user.ids)],
            }
        )
        agreement.action_activate()
        return agreement

    def _other_company_user(self, login, groups):
        """A user of a new company only, for the multi-company record rules."""
        company = self.env["res.company"].create({"name": f"Bolag {login}"})
        return new_test_user(
            self.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )

    def _invoice(self, partners=None, date_from=None, date_to=None, type_ids=None):
        return (
            self.env["support.invoice.create"]
            .with_user(self.accountant)
            ._create_invoices_for(
                partners or self.env["res.partner"],
                date_from or self.month_start,
                date_to or self.month_start + relativedelta(months=1, days=-1),
                type_ids,
            )
        )
