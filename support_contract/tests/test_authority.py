from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import call_kw
from odoo.tests import tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestAuthority(SupportCase):
    """The decision and the agreements' lifecycle hold whoever calls, however."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._ticket(cls.contact[cls.cust_maint], cls.cat["key_user_advice"])
        cls.portal = cls._user(
            "sc_portal",
            "base.group_portal",
            partner_id=cls.maint_key.id,
        )

    def _decision(self, ticket):
        return {fname: ticket[fname] for fname in ticket._support_protected_fields()}

    def test_decision_fields_not_writable(self):
        ticket = self.ticket
        self.assertEqual(ticket.coverage, "billable")  # not a Key User
        before = self._decision(ticket)
        forged = {
            "coverage": "covered",
            "coverage_decided": "covered",
            "coverage_mode": "included",
            "coverage_reason": "Covered: trust me.",
            "coverage_agreement_id": self.agr_maint.id,
            "coverage_cause": "included",
            "coverage_deciding_agreement_id": self.agr_patch.id,
            "patch_period": "2020-01",
        }
        for user in (self.consultant, self.manager):
            for fname, value in forged.items():
                with self.subTest(user=user.login, field=fname), self.assertRaises(AccessError):
                    ticket.with_user(user).write({fname: value})
        self.assertEqual(self._decision(ticket), before)
        # Unchanged values (a client sending the whole record) pass.
        ticket.with_user(self.consultant).write({"coverage": "billable", "name": "Renamed"})
        self.assertEqual(ticket.name, "Renamed")

    def test_decision_fields_not_creatable(self):
        Ticket = self.env["support.ticket"].with_user(self.consultant)
        vals = {
            "name": "Forged",
            "partner_id": self.contact[self.cust_none].id,
            "category_id": self.cat["bug_fix"].id,
        }
        with self.assertRaises(AccessError):
            Ticket.create(dict(vals, coverage="covered", coverage_agreement_id=self.agr_maint.id))
        self.assertFalse(Ticket.search([("name", "=", "Forged")]))
        # A default in the context is no way around it either.
        ticket = Ticket.with_context(
            default_coverage="covered",
            default_coverage_decided="covered",
            default_coverage_agreement_id=self.agr_maint.id,
            default_coverage_reason="Covered: trust me.",
        ).create(vals)
        self.assertEqual(ticket.coverage, "billable")
        self.assertFalse(ticket.coverage_agreement_id)
        self.assertIn("no active support agreement", ticket.coverage_reason)

    def test_override_only_by_manager_with_reason(self):
        ticket = self.ticket
        with self.assertRaises(AccessError):
            ticket.with_user(self.consultant).write(
                {"coverage_override": "covered", "coverage_override_reason": "Goodwill"}
            )
        with self.assertRaises(ValidationError):
            ticket.with_user(self.manager).write({"coverage_override": "covered"})
        self.assertEqual(ticket.coverage, "billable")
        ticket.with_user(self.manager).write(
            {"coverage_override": "covered", "coverage_override_reason": "Goodwill"}
        )
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_decided, "billable")

    def test_agreement_reaches_active_only_through_lifecycle(self):
        customer = self.env["res.partner"].create({"name": "Genväg AB", "is_company": True})
        Agreement = self.env["support.agreement"]
        vals = {"partner_id": customer.id, "type_id": self.type_maintenance.id}
        # A maintenance agreement without a patch agreement: refused however it is activated,
        # by a manager or by the superuser.
        for env in (self.env(user=self.manager), self.env):
            with self.subTest(user=env.user.login), self.assertRaises(UserError):
                env["support.agreement"].create(dict(vals, state="active"))
            with self.subTest(user=env.user.login), self.assertRaises(UserError):
                env["support.agreement"].create(dict(vals, state="closed"))
        self.assertFalse(Agreement.search([("partner_id", "=", customer.id)]))
        draft = Agreement.with_user(self.manager).create(vals)
        with self.assertRaises(UserError):
            draft.with_user(self.manager).write({"state": "active"})
        with self.assertRaises(UserError):
            draft.write({"state": "active"})
        self.assertEqual(draft.state, "draft")
        # Skipping a step of the lifecycle is refused too.
        with self.assertRaisesRegex(UserError, "cannot go from Draft to Closed"):
            draft.with_user(self.manager).write({"state": "closed"})
        draft.action_cancel()
        with self.assertRaises(UserError):
            draft.with_user(self.manager).write({"state": "active"})
        self.assertEqual(draft.state, "cancelled")
        # With its patch agreement, the same write goes through the same checks and passes.
        patch = Agreement.with_user(self.manager).create(
            {"partner_id": customer.id, "type_id": self.type_patch.id, "state": "active"}
        )
        self.assertEqual(patch.state, "active")
        draft.action_draft()
        draft.with_user(self.manager).write({"state": "active"})
        self.assertEqual(draft.state, "active")
        with self.assertRaises(UserError):
            draft.write({"state": "draft"})

    def test_agreement_lifecycle_needs_manager(self):
        agreement = self.env["support.agreement"].create(
            {"partner_id": self.cust_none.id, "type_id": self.type_on_demand.id}
        )
        for method in ("action_activate", "action_cancel"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(agreement.with_user(self.consultant), method)()
        with self.assertRaises(AccessError):
            agreement.with_user(self.consultant).write({"state": "active"})
        self.assertEqual(agreement.state, "draft")

    def test_crons_not_callable_over_rpc(self):
        cron = self.env.ref("support_contract.ir_cron_create_patch_tickets")
        self.assertEqual(cron.code.strip(), "model._cron_create_patch_tickets()")
        Ticket = self.env["support.ticket"]
        count = Ticket.search_count([])
        for user in (self.portal, self.consultant, self.manager):
            Agreement = self.env["support.agreement"].with_user(user)
            with self.subTest(user=user.login), self.assertRaises(AttributeError):
                call_kw(Agreement, "cron_create_patch_tickets", [], {})
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                call_kw(Agreement, "_cron_create_patch_tickets", [], {})
        self.assertEqual(Ticket.search_count([]), count)
        # The scheduled action's own code still runs.
        cron.ir_actions_server_id.run()
        self.assertTrue(Ticket.search([("patch_agreement_id", "=", self.agr_maint.id)]))

    def test_actions_check_the_starting_record(self):
        other_company = self.env["res.company"].create({"name": "Främmande AB"})
        stranger = self._user(
            "sc_stranger",
            "support_contract.group_support_manager",
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        covered = self._ticket(self.maint_key, self.cat["bug_fix"])
        with self.assertRaises(AccessError):
            covered.with_user(stranger).action_open_agreement()
        with self.assertRaises(AccessError):
            self.agr_maint.with_user(stranger).action_view_tickets()
        action = covered.with_user(self.consultant).action_open_agreement()
        self.assertEqual(action["res_id"], self.agr_maint.id)
