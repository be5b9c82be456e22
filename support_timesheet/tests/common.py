from contextlib import closing, contextmanager

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from odoo.addons.support_contract.tests.common import SupportFixtureMixin


class SupportTimesheetFixtureMixin(SupportFixtureMixin):
    """support_contract's helpers, and time logged on tickets."""

    @classmethod
    def _log(cls, ticket, hours, date=None, user=None, **vals):
        """A timesheet line on ``ticket`` (as ``user`` when given), dated today by default."""
        Line = cls.env["account.analytic.line"]
        if user:
            Line = Line.with_user(user)
        return Line.create(
            {
                "support_ticket_id": ticket.id,
                "unit_amount": hours,
                "date": date or cls.today,
                "name": "Work",
                **vals,
            }
        )


class SupportTimesheetCase(SupportTimesheetFixtureMixin, TransactionCase):
    """Customers on demand and under a patch agreement, a consultant, an accountant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls._setup_support_basics()
        cls.month_start = cls.today.replace(day=1)
        ref = cls.env.ref
        cls.type_on_demand.write({"min_billed_hours": 0.5, "rounding_step": 0.0})
        cls.cat_tech = ref("support_contract.category_tech_env")
        cls.cat_db = ref("support_contract.category_db_correction")
        cls.hour = ref("support_timesheet.product_support_hour")
        cls.hour.lst_price = 1000.0
        cls.pack_25 = ref("support_timesheet.product_pack_25")

        cls.consultant = cls._user("st_consultant", "support_contract.group_support_user")
        cls.consultant2 = cls._user("st_consultant2", "support_contract.group_support_user")
        cls.accountant = cls._user(
            "st_accountant", "account.group_account_invoice,support_contract.group_support_user"
        )
        Employee = cls.env["hr.employee"]
        for user in (cls.consultant, cls.consultant2, cls.accountant):
            Employee.create({"name": user.name, "user_id": user.id, "company_id": cls.company.id})

        cls.cust_a = cls._customer("Kund A AB")
        cls.cust_b = cls._customer("Kund B AB")
        cls.cust_patch = cls._customer("Patchkund AB")
        cls.contact_a = cls._contact(cls.cust_a, "Anna A")
        cls.contact_b = cls._contact(cls.cust_b, "Bo B")
        cls.contact_patch = cls._contact(cls.cust_patch, "Per P")
        cls.agr_patch = cls._agreement(cls.cust_patch, cls.type_patch, monthly_fee=495.0)

    @classmethod
    def _ticket(cls, requester, category=None, **vals):
        """A request in the database-correction category, dated the first of this month."""
        return super()._ticket(
            requester,
            category or cls.cat_db,
            **{
                "name": f"Request of {requester.name}",
                "request_date": cls.month_start,
                **vals,
            },
        )

    @classmethod
    def _log(cls, ticket, hours, date=None, user=None, **vals):
        """Logged by the consultant on the first of this month by default."""
        return super()._log(ticket, hours, date or cls.month_start, user or cls.consultant, **vals)

    @classmethod
    def _key_user_agreement(cls, customer, key_user):
        """An On-Demand agreement naming ``key_user``: who may answer on held hours."""
        return cls._agreement(customer, cls.type_on_demand, key_user)

    def _other_company_user(self, login, groups):
        """A user of a new company only, for the multi-company record rules."""
        company = self.env["res.company"].create({"name": f"Bolag {login}"})
        return self._user(
            login,
            groups,
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


class CommittedFixtureCase(TransactionCase):
    """Real concurrent transactions. Concurrent transactions only see committed data, so the
    fixture is committed by a separate cursor (``_env``) and removed at the end; the test's own
    cursor writes nothing. ``setUp`` fills ``self.day`` and ``self.ids`` (``partner``, and the
    ``tickets`` and ``employees`` time is logged on and by)."""

    @contextmanager
    def _env(self, uid=SUPERUSER_ID):
        """A transaction of its own, committed at the end of the block."""
        with closing(self.registry.cursor()) as cr:
            yield api.Environment(cr, uid, {"tracking_disable": True})
            cr.commit()

    @contextmanager
    def _two_envs(self):
        """Two concurrent transactions as the superuser; they commit where the test says."""
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            yield api.Environment(cr1, SUPERUSER_ID, {}), api.Environment(cr2, SUPERUSER_ID, {})

    def _log(self, env, hours, index=0):
        """Time on the fixture's ``index``-th ticket by its ``index``-th employee, flushed."""
        line = env["account.analytic.line"].create(
            {
                "support_ticket_id": self.ids["tickets"][index],
                "employee_id": self.ids["employees"][index],
                "unit_amount": hours,
                "date": self.day,
                "name": "Concurrent work",
            }
        )
        env.flush_all()
        return line

    def _invoice(self, env):
        """The fixture customer's support time of ``self.day``'s month invoiced, flushed."""
        moves = env["support.invoice.create"]._create_invoices_for(
            env["res.partner"].browse(self.ids["partner"]),
            self.day,
            self.day + relativedelta(months=1, days=-1),
        )
        env.flush_all()
        return moves
