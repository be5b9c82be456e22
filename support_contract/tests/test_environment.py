import datetime
import importlib.util

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.misc import file_path

from .common import SupportCase
from .test_mail_intake import ALIAS, DOMAIN, raw_email


class EnvironmentMixin:
    @classmethod
    def _environment(cls, customer, name, agreements=(), **vals):
        return cls.env["support.environment"].create(
            {
                "partner_id": customer.id,
                "name": name,
                "agreement_ids": [(6, 0, [a.id for a in agreements])],
                "tz": "Europe/Stockholm",
                **vals,
            }
        )


@tagged("post_install", "-at_install")
class TestEnvironment(EnvironmentMixin, SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prod = cls._environment(
            cls.cust_maint,
            "erp.underhall.example.com",
            (cls.agr_maint_patch, cls.agr_maint),
            url="https://erp.underhall.example.com",
            maintenance_weekday="6",  # Sunday 22:00-24:00 Stockholm time
            maintenance_hour_from=22.0,
            maintenance_hour_to=24.0,
        )
        cls.staging = cls._environment(
            cls.cust_maint,
            "staging.underhall.example.com",
            (cls.agr_maint_patch, cls.agr_maint),
            environment_type="staging",
        )
        cls.patch_prod = cls._environment(cls.cust_patch, "odoo.patch.example.com", [cls.agr_patch])

    def test_agreements_of_the_customer_only(self):
        cases = [
            (self.agr_patch, "another customer's agreement"),
            (self.agr_ondemand, "an On-Demand agreement covers no environment"),
        ]
        for agreement, why in cases:
            with self.subTest(why), self.assertRaises(ValidationError):
                self.prod.agreement_ids = [(4, agreement.id)]
            self.assertEqual(self.prod.agreement_ids, self.agr_maint_patch | self.agr_maint, why)
        # From the agreement's side, the same rule.
        with self.assertRaises(ValidationError):
            self.agr_patch.environment_ids = [(4, self.prod.id)]
        with self.assertRaises(ValidationError):
            self._environment(self.contact[self.cust_maint], "contact-owned")

    def test_customer_is_a_company_one_rule(self):
        """Agreements, environments and packs belong to the customer company, never to one of
        its contacts: the same rule and message for each, on create and on write, as a user
        of the support team would try; nothing changes."""
        contact = self.contact[self.cust_maint]
        message = (
            r"the customer must be a company \(or a private customer\), not Kontakt "
            r"Underhåll Kund AB, a contact of Underhåll Kund AB\."
        )
        self.assertEqual(contact.name, "Kontakt Underhåll Kund AB")
        Agreement = self.env["support.agreement"].with_user(self.manager)
        Environment = self.env["support.environment"].with_user(self.consultant)
        before = (Agreement.search_count([]), Environment.search_count([]))
        # (assertRaises: rolled back to a savepoint, as the request would be.)
        with self.assertRaises(ValidationError) as caught:
            Agreement.create({"partner_id": contact.id, "type_id": self.type_on_demand.id})
        self.assertRegex(str(caught.exception), f"^Support Agreement .*: {message}$")
        with self.assertRaises(ValidationError) as caught:
            Environment.create({"partner_id": contact.id, "name": "contact-owned"})
        self.assertRegex(str(caught.exception), f"^Customer Environment .*: {message}$")
        self.assertEqual((Agreement.search_count([]), Environment.search_count([])), before)
        # A write to a contact: refused the same way, the customer unchanged.
        with self.assertRaises(ValidationError) as caught:
            self.agr_ondemand.with_user(self.manager).partner_id = contact
        self.assertRegex(str(caught.exception), message)
        with self.assertRaises(ValidationError) as caught:
            self.staging.with_user(self.consultant).write({"partner_id": contact.id})
        self.assertRegex(str(caught.exception), message)
        with self.assertRaises(ValidationError) as caught:
            self._pack(contact, 25.0)
        self.assertRegex(str(caught.exception), f"^Prepaid Support Hour Pack .*: {message}$")
        self.assertEqual(self.agr_ondemand.partner_id, self.cust_ondemand)
        self.assertEqual(self.staging.partner_id, self.cust_maint)
        # A private customer (a person without a company) holds its own.
        person = self._customer("Privat Person", is_company=False)
        self.assertEqual(person.commercial_partner_id, person)
        Environment.create({"partner_id": person.id, "name": "private.example.com"})

    def test_ticket_environment_and_priority(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"], environment_id=self.prod.id)
        self.assertEqual(ticket.priority, "1", "a production environment raises the priority")
        urgent = self._ticket(
            self.maint_key, self.cat["bug_fix"], environment_id=self.prod.id, priority="2"
        )
        self.assertEqual(urgent.priority, "2", "a higher chosen priority stays")
        staging = self._ticket(self.maint_key, self.cat["bug_fix"], environment_id=self.staging.id)
        self.assertEqual(staging.priority, "0")
        form = Form(self.env["support.ticket"].with_user(self.consultant))
        form.name = "Fel i produktion"
        form.partner_id = self.maint_key
        form.category_id = self.cat["bug_fix"]
        form.environment_id = self.prod
        self.assertEqual(form.priority, "1")
        with self.assertRaises(ValidationError):
            self._ticket(self.maint_key, self.cat["bug_fix"], environment_id=self.patch_prod.id)
        with self.assertRaises(ValidationError):
            ticket.environment_id = self.patch_prod
        self.assertEqual(ticket.environment_id, self.prod)

    def test_window_in_customer_time_zone(self):
        # 2026-12-01 is a Tuesday: the first Sunday is 6 December; Stockholm is UTC+1 in winter.
        start, end = self.prod._maintenance_window(datetime.date(2026, 12, 1))
        self.assertEqual(start, datetime.datetime(2026, 12, 6, 21, 0))
        self.assertEqual(end, datetime.datetime(2026, 12, 6, 23, 0))
        start, _end = self.prod._maintenance_window(datetime.date(2026, 7, 1))
        self.assertEqual(start, datetime.datetime(2026, 7, 5, 20, 0), "summer time: UTC+2")
        self.assertEqual(
            self.staging._maintenance_window(datetime.date(2026, 7, 1)), (False, False)
        )
        with self.assertRaises(ValidationError):
            self.prod.maintenance_hour_to = 21.0

    def test_monthly_job_per_environment_twice(self):
        Agreement = self.env["support.agreement"]
        day = datetime.date(2026, 12, 1)
        tickets = Agreement._cron_create_patch_tickets(day)
        mine = tickets.filtered(lambda t: t.commercial_partner_id == self.cust_maint)
        self.assertEqual(len(mine), 4, "source and infrastructure patches of two environments")
        by_key = {(t.environment_id, t.patch_type): t for t in mine}
        self.assertEqual(
            set(by_key),
            {
                (self.prod, "odoo_source"),
                (self.prod, "infrastructure"),
                (self.staging, "odoo_source"),
                (self.staging, "infrastructure"),
            },
        )
        source = by_key[(self.prod, "odoo_source")]
        self.assertEqual(source.patch_agreement_id, self.agr_maint)
        self.assertEqual(source.category_id, self.cat["source_patch_install"])
        self.assertEqual(source.coverage, "covered")
        self.assertEqual(source.planned_date_start, datetime.datetime(2026, 12, 6, 21, 0))
        infra = by_key[(self.prod, "infrastructure")]
        self.assertEqual(infra.patch_agreement_id, self.agr_maint_patch)
        self.assertEqual(infra.category_id, self.cat["tech_env"])
        self.assertEqual(infra.coverage, "covered")
        patch_customer = tickets.filtered(lambda t: t.commercial_partner_id == self.cust_patch)
        self.assertEqual(patch_customer.environment_id, self.patch_prod)
        self.assertEqual(patch_customer.patch_type, "infrastructure")
        # The lapsed customer's maintenance (no patch agreement in force) gets nothing.
        self.assertFalse(tickets.filtered(lambda t: t.commercial_partner_id == self.cust_lapsed))
        count = self.env["support.ticket"].search_count([])
        self.assertFalse(Agreement._cron_create_patch_tickets(day))
        self.assertFalse(Agreement._cron_create_patch_tickets(day + relativedelta(days=20)))
        self.assertEqual(self.env["support.ticket"].search_count([]), count)
        # An environment added mid-month gets its ticket on the next run; archived ones none.
        test_env = self._environment(
            self.cust_maint, "test.underhall.example.com", [self.agr_maint], environment_type="test"
        )
        self.staging.active = False
        added = Agreement._cron_create_patch_tickets(day + relativedelta(days=5))
        self.assertEqual(added.environment_id, test_env)
        self.assertEqual(added.patch_type, "odoo_source")
        next_month = Agreement._cron_create_patch_tickets(day + relativedelta(months=1))
        self.assertEqual(
            {
                (t.environment_id, t.patch_type)
                for t in next_month
                if t.patch_agreement_id in (self.agr_maint | self.agr_maint_patch)
            },
            {
                (self.prod, "odoo_source"),
                (self.prod, "infrastructure"),
                (test_env, "odoo_source"),
            },
            "the archived staging environment is left out",
        )

    def test_closing_a_patch_ticket_records_the_patch(self):
        tickets = self.env["support.agreement"]._cron_create_patch_tickets(self.today)
        ticket = tickets.filtered(
            lambda t: t.environment_id == self.prod and t.patch_type == "odoo_source"
        ).with_user(self.consultant)
        with self.assertRaises(UserError):
            ticket.write({"stage_id": self.stage_resolved.id, "outcome": "other"})
        self.assertFalse(ticket.is_closed)
        # The environment of a patch ticket stays the one the job planned.
        with self.assertRaises(UserError):
            ticket.environment_id = self.staging
        self.assertEqual(ticket.environment_id, self.prod)
        ticket.write(
            {
                "stage_id": self.stage_resolved.id,
                "outcome": "other",
                "patch_record_ids": [
                    (
                        0,
                        0,
                        {
                            "environment_id": self.prod.id,
                            "patch_type": "odoo_source",
                            "version_before": "18.0-20261101",
                            "version_after": "18.0-20261201",
                            "result": "done",
                            "downtime_minutes": 9,
                        },
                    )
                ],
            }
        )
        self.assertTrue(ticket.is_closed)
        record = ticket.patch_record_ids
        self.assertEqual(record.partner_id, self.cust_maint)
        with self.assertRaises(ValidationError):
            self.env["support.patch.record"].create(
                {
                    "environment_id": self.staging.id,
                    "ticket_id": ticket.id,
                    "patch_type": "odoo_source",
                    "result": "done",
                }
            )

    def test_migration(self):
        """An existing database gets the seeded types' patch kinds and the infrastructure
        category (post-migrate of 19.0.1.1.0)."""
        path = file_path("support_contract/migrations/19.0.1.1.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("support_contract_post_migrate", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        (self.type_patch | self.type_maintenance).environment_patch_type = False
        self.company.support_infra_patch_category_id = False
        module.migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(self.type_patch.environment_patch_type, "infrastructure")
        self.assertEqual(self.type_maintenance.environment_patch_type, "odoo_source")
        self.assertEqual(self.company.support_infra_patch_category_id, self.cat["tech_env"])
        # A manager's choice is kept.
        self.type_maintenance.environment_patch_type = "infrastructure"
        module.migrate(self.env.cr, "19.0.1.0.0")
        self.assertEqual(self.type_maintenance.environment_patch_type, "infrastructure")

    def test_access(self):
        """The support team manages environments; a consultant deletes nothing."""
        env = (
            self.env["support.environment"]
            .with_user(self.consultant)
            .create({"partner_id": self.cust_patch.id, "name": "dev.patch.example.com"})
        )
        env.odoo_version = "19.0"
        with self.assertRaises(AccessError):
            env.unlink()
        env.with_user(self.manager).unlink()
        self.assertFalse(env.exists())


@tagged("post_install", "-at_install")
class TestEnvironmentMail(EnvironmentMixin, SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.company.alias_domain_id:
            cls.company.alias_domain_id = cls.env["mail.alias.domain"].create({"name": DOMAIN})
        cls.company._support_set_alias_name(ALIAS)
        cls.alias_email = f"{ALIAS}@{cls.company.alias_domain_id.name}"
        cls.maint_key.email = "karin@underhall.example.com"
        cls.patch_contact = cls.contact[cls.cust_patch]
        cls.patch_contact.email = "kontakt@patch.example.com"
        cls.prod = cls._environment(
            cls.cust_maint,
            "Produktion",
            [cls.agr_maint],
            url="https://erp.underhall.example.com",
        )
        cls.staging = cls._environment(
            cls.cust_maint, "Staging", [cls.agr_maint], environment_type="staging"
        )

    def _ticket_from(self, sender, subject, body):
        Ticket = self.env["support.ticket"]
        before = Ticket.search([]).ids
        raw = raw_email(sender, subject, body=body, to=self.alias_email)
        self.env["mail.thread"].message_process("support.ticket", raw)
        return Ticket.search([("id", "not in", before)])

    def test_environment_from_mail(self):
        cases = [
            ("Fel i erp.underhall.example.com", "Hej", self.prod, "host in the subject"),
            ("Fel i staging", "Hej", self.staging, "name in the subject"),
            ("Fel", "Ser fel ut i Produktion idag", self.prod, "name in the text"),
            ("Fel i Staging och Produktion", "Hej", None, "two named: none chosen"),
            ("Fel", "Hej", None, "none named"),
        ]
        for subject, body, expected, why in cases:
            with self.subTest(why):
                ticket = self._ticket_from(self.maint_key.email, subject, body)
                self.assertEqual(len(ticket), 1)
                self.assertEqual(ticket.environment_id, expected or self.prod.browse(), why)
        self.assertEqual(
            self._ticket_from(
                self.maint_key.email, "Fel i erp.underhall.example.com", "Hej igen"
            ).priority,
            "1",
            "a production environment raises the priority",
        )
        # Another customer's contact naming this environment: not theirs, not set.
        ticket = self._ticket_from(self.patch_contact.email, "Fel i erp.underhall.example.com", "")
        self.assertFalse(ticket.environment_id)
