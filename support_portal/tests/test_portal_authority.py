import xmlrpc.client

from odoo.exceptions import AccessError
from odoo.service.model import call_kw
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalAuthority(SupportPortalFixture, TransactionCase):
    """A portal user can do nothing through the API that the portal pages do not offer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.agr_a_maint.note = "<p>Internal: the customer is late paying.</p>"

    def _rpc(self, user, model, method, *args, ids=None):
        records = self.env[model].with_user(user)
        return call_kw(records, method, [ids, *args] if ids is not None else list(args), {})

    def test_portal_cannot_invoice_fees(self):
        count = self.env["account.move"].search_count([])
        for user in (self.portal_key_a, self.portal_user_a):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._rpc(
                    user,
                    "support.agreement",
                    "action_invoice_monthly_fees",
                    ids=self.agr_a_patch.ids,
                )
        self.assertFalse(self.agr_a_patch.fee_period_ids)
        self.assertEqual(self.env["account.move"].search_count([]), count)

    def test_portal_cannot_run_crons(self):
        count = self.env["support.ticket"].search_count([])
        with self.assertRaises(AttributeError):
            self._rpc(self.portal_key_a, "support.agreement", "cron_create_patch_tickets")
        with self.assertRaises(AccessError):
            self._rpc(self.portal_key_a, "support.agreement", "_cron_create_patch_tickets")
        self.assertEqual(self.env["support.ticket"].search_count([]), count)

    def test_smart_buttons_check_the_starting_record(self):
        for method in ("action_view_support_invoices", "action_view_timesheets"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                self._rpc(self.portal_key_a, "support.ticket", method, ids=self.ticket_b.ids)
        for method in ("action_view_tickets", "action_view_fee_periods"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                self._rpc(self.portal_key_a, "support.agreement", method, ids=self.agr_b.ids)

    def test_internal_notes_are_staff_only(self):
        as_portal = self.agr_a_maint.with_user(self.portal_key_a)
        self.assertEqual(as_portal.partner_id, self.cust_a)
        with self.assertRaises(AccessError):
            as_portal.read(["note"])
        self.assertNotIn("note", as_portal.fields_get())
        consultant = self._user(
            "sp_consultant",
            "support_contract.group_support_user",
        )
        self.assertIn("late paying", self.agr_a_maint.with_user(consultant).note)

    def test_portal_rules_grant_read_only(self):
        for xmlid in (
            "support_portal.support_ticket_rule_portal",
            "support_portal.support_agreement_rule_portal",
            "support_portal.support_hour_pack_rule_portal",
            "support_portal.support_hour_pack_consumption_rule_portal",
        ):
            rule = self.env.ref(xmlid)
            with self.subTest(rule=xmlid):
                self.assertEqual(
                    (rule.perm_read, rule.perm_write, rule.perm_create, rule.perm_unlink),
                    (True, False, False, False),
                )
        own = self.ticket_user_a.with_user(self.portal_user_a)
        for vals in ({"name": "Renamed"}, {"description": "<p>x</p>"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                own.write(vals)
        with self.assertRaises(AccessError):
            own.unlink()
        with self.assertRaises(AccessError):
            self.pack_a.with_user(self.portal_key_a).write({"hours": 100})
        self.assertEqual(self.ticket_user_a.name, "Fix the data")
        self.assertEqual(self.pack_a.hours, 1.0)

    def test_portal_cannot_forge_acceptance_or_decision(self):
        # Not even staff can write what the requester accepted in the portal.
        consultant = self._user(
            "sp_consultant2",
            "support_contract.group_support_user",
        )
        with self.assertRaises(AccessError):
            self.ticket_user_a.with_user(consultant).write(
                {"charge_accepted": True, "charge_accepted_by_id": self.user_a.id}
            )
        self.assertFalse(self.ticket_user_a.charge_accepted)

    def test_approval_over_rpc(self):
        ticket = self.ticket_user_a
        # The requester is no Key User: refused, whoever it names.
        with self.assertRaises(AccessError):
            self._rpc(
                self.portal_user_a, "support.ticket", "action_approve_extra_hours", ids=ticket.ids
            )
        with self.assertRaises(AccessError):
            call_kw(
                ticket.with_user(self.portal_user_a),
                "action_approve_extra_hours",
                [ticket.ids],
                {
                    "partner_id": self.key_a.id,
                    "context": {"support_approval_partner_id": self.key_a.id},
                },
            )
        # Another customer's contact cannot even read it.
        with self.assertRaises(AccessError):
            self._rpc(
                self.portal_user_b, "support.ticket", "action_refuse_extra_hours", ids=ticket.ids
            )
        self.assertEqual(ticket.approval_state, "pending")
        self.assertFalse(ticket.approval_partner_id)
        # The Key User answers as themself, as on the portal page.
        self.assertTrue(
            self._rpc(
                self.portal_key_a, "support.ticket", "action_approve_extra_hours", ids=ticket.ids
            )
        )
        self.assertEqual(ticket.approval_state, "approved")
        self.assertEqual(ticket.approval_partner_id, self.key_a)


@tagged("post_install", "-at_install")
class TestPortalAuthorityHttp(SupportPortalFixture, HttpCase):
    """The same rules through the real external APIs: JSON-RPC and XML-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.consultant = cls._user(
            "sp_rpc_consultant",
            "support_contract.group_support_user",
            password="sp_rpc_consultant-pw",
        )

    def _json_call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _xml_call(self, user, model, method, args, kwargs=None):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, f"{user.login}-pw", model, method, args, kwargs or {}
        )

    def test_json_rpc_portal(self):
        self.authenticate(self.portal_key_a.login, f"{self.portal_key_a.login}-pw")
        count = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._json_call(
                "support.agreement", "action_invoice_monthly_fees", [self.agr_a_patch.ids]
            )
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._json_call("support.agreement", "_cron_create_patch_tickets", [])
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self._json_call("support.agreement", "cron_create_patch_tickets", [])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._json_call(
                "support.ticket", "write", [self.ticket_user_a.ids, {"coverage": "covered"}]
            )
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._json_call("support.agreement", "read", [self.agr_a_maint.ids, ["note"]])
        self.assertEqual(self.env["account.move"].search_count([]), count)
        self.assertEqual(self.ticket_user_a.coverage, "billable")
        self.assertFalse(self.agr_a_patch.fee_period_ids)

    def test_xml_rpc_consultant(self):
        ticket = self.ticket_user_a
        before = (ticket.coverage, ticket.hours_to_invoice, ticket.approval_state)
        for model, method, args in (
            ("support.ticket", "write", [ticket.ids, {"coverage": "covered"}]),
            ("support.ticket", "write", [ticket.ids, {"approval_state": "approved"}]),
            ("support.ticket", "write", [ticket.ids, {"hours_held": 0.0}]),
            ("support.ticket", "action_approve_extra_hours", [ticket.ids]),
            ("support.agreement", "action_invoice_monthly_fees", [self.agr_a_patch.ids]),
        ):
            with self.subTest(method=method, args=args):
                with self.assertRaises(xmlrpc.client.Fault) as caught:
                    self._xml_call(self.consultant, model, method, args)
                self.assertEqual(caught.exception.faultCode, 4, caught.exception.faultString)
                if args[1:] == [{"coverage": "covered"}]:
                    self.assertIn("You cannot write Coverage", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._xml_call(
                self.consultant,
                "support.agreement",
                "write",
                [self.agr_a_maint.ids, {"state": "draft"}],
            )
        self.assertEqual(caught.exception.faultCode, 4, caught.exception.faultString)
        ticket.invalidate_recordset()
        self.assertEqual((ticket.coverage, ticket.hours_to_invoice, ticket.approval_state), before)
        self.assertFalse(self.agr_a_patch.fee_period_ids)
        self.assertEqual(self.agr_a_maint.state, "active")
