from xmlrpc.client import Fault

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, JsonRpcException, tagged

from .common import SupportTimesheetCase


class CostFixtureMixin:
    @classmethod
    def _setup_costs(cls):
        """Two consultants' time on one ticket, at hourly costs of 600 and 900."""
        cls.manager = cls._user("st_cost_manager", "support_contract.group_support_manager")
        employees = cls.env["hr.employee"].search(
            [("user_id", "in", (cls.consultant | cls.consultant2).ids)]
        )
        for employee in employees:
            employee.hourly_cost = 600.0 if employee.user_id == cls.consultant else 900.0
        cls.ticket = cls._ticket(cls.contact_a)
        cls.own_line = cls._log(cls.ticket, 1.0, user=cls.consultant)
        cls.colleague_line = cls._log(cls.ticket, 2.0, user=cls.consultant2)


@tagged("post_install", "-at_install")
class TestCostAccess(CostFixtureMixin, SupportTimesheetCase):
    """Consultants read their colleagues' time on tickets, not what it cost: the cost of a line
    (``amount``, the employee's hourly cost) and the margins are for managers and accountants.
    Tried as each user would over RPC (read, search_read, grouped by employee)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_costs()

    def test_consultant_reads_hours_not_costs(self):
        Line = self.env["account.analytic.line"].with_user(self.consultant)
        lines = self.own_line | self.colleague_line
        # The hours of the colleague's work, as before.
        self.assertEqual(
            lines.with_user(self.consultant).read(["unit_amount"]),
            [{"id": line.id, "unit_amount": line.unit_amount} for line in lines],
        )
        # Not what it cost, by any RPC path.
        with self.assertRaises(AccessError):
            self.colleague_line.with_user(self.consultant).read(["amount"])
        with self.assertRaises(AccessError):
            self.own_line.with_user(self.consultant).read(["amount"])
        with self.assertRaises(AccessError):
            Line.search_read([("support_ticket_id", "=", self.ticket.id)], ["amount"])
        with self.assertRaises(AccessError):
            Line.formatted_read_group(
                [("support_ticket_id", "=", self.ticket.id)], ["employee_id"], ["amount:sum"]
            )
        with self.assertRaises(AccessError):
            Line.search([("amount", "<", -700)])
        with self.assertRaises(AccessError):
            Line.web_read_group(
                [("support_ticket_id", "=", self.ticket.id)], ["employee_id"], ["amount:sum"]
            )
        with self.assertRaises(AccessError):
            Line.web_search_read(
                [("support_ticket_id", "=", self.ticket.id)], {"amount": {}, "unit_amount": {}}
            )
        self.assertNotIn("amount", Line.fields_get())
        # hr_timesheet's timesheet analysis follows the same rule.
        Report = self.env["timesheets.analysis.report"].with_user(self.consultant)
        with self.assertRaises(AccessError):
            Report.search_read([], ["amount"])
        with self.assertRaises(AccessError):
            Report.formatted_read_group([], ["employee_id"], ["amount:sum"])
        # Nor may a consultant write a cost (the server computes it from the hours).
        with self.assertRaises(AccessError):
            self.own_line.with_user(self.consultant).write({"amount": -1.0})
        # Nothing changed: the costs are recorded, for those who may read them.
        self.assertEqual(self.colleague_line.sudo().amount, -1800.0)
        self.assertEqual(self.own_line.sudo().amount, -600.0)

    def test_managers_and_accountants_read_costs(self):
        for user in (self.manager, self.accountant):
            Line = self.env["account.analytic.line"].with_user(user)
            groups = Line.formatted_read_group(
                [("support_ticket_id", "=", self.ticket.id)], ["employee_id"], ["amount:sum"]
            )
            self.assertEqual(
                sorted(group["amount:sum"] for group in groups), [-1800.0, -600.0], user.login
            )
            self.assertIn("amount", Line.fields_get())
            self.assertIn(
                "amount", self.env["timesheets.analysis.report"].with_user(user).fields_get()
            )

    def test_consultant_reads_no_margin(self):
        agreement = self.agr_patch
        with self.assertRaises(AccessError):
            agreement.with_user(self.consultant).read(["profitability_margin"])
        with self.assertRaises(AccessError):
            self.env["support.agreement.profitability"].with_user(self.consultant).search_read(
                [], ["margin", "cost"]
            )
        self.assertIn("profitability_margin", agreement.with_user(self.manager).read()[0])

    def test_consultant_still_logs_time(self):
        """Logging, changing and duplicating time compute the cost as the server, whatever the
        consultant may read."""
        line = self._log(self.ticket, 0.5, user=self.consultant)
        self.assertEqual(line.sudo().amount, -300.0)
        self.assertEqual(line.unit_amount, 0.5)
        self.assertEqual(line.support_billing_status, "to_invoice")
        line.write({"unit_amount": 1.5})
        self.assertEqual(line.sudo().amount, -900.0)
        copy = line.copy()
        self.assertEqual(copy.sudo().amount, -900.0)
        self.assertEqual(copy.unit_amount, 1.5)
        with self.assertRaises(AccessError):
            line.copy({"amount": -1.0})
        self.assertEqual(line.sudo().amount, -900.0)


@tagged("post_install", "-at_install")
class TestCostAccessRpc(CostFixtureMixin, SupportTimesheetCase, HttpCase):
    """The same rule through the server's doors: JSON-RPC (the web client's call_kw) and
    XML-RPC, logged in as the consultant, then as the manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_costs()

    def _call_kw(self, user, method, args, kwargs=None):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/account.analytic.line/{method}",
            {
                "model": "account.analytic.line",
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    def _execute_kw(self, user, method, args, kwargs=None):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname,
            user.id,
            user.login,
            "account.analytic.line",
            method,
            args,
            kwargs or {},
        )

    def test_costs_over_json_and_xml_rpc(self):
        domain = [("support_ticket_id", "=", self.ticket.id)]
        grouped = {"groupby": ["employee_id"], "aggregates": ["amount:sum"]}
        for method, args, kwargs in (
            ("web_read_group", [domain], grouped),
            ("search_read", [domain, ["amount"]], {}),
            ("read", [self.colleague_line.ids, ["amount"]], {}),
        ):
            with self.assertRaises(JsonRpcException, msg=method) as caught:
                self._call_kw(self.consultant, method, args, kwargs)
            self.assertIn("AccessError", str(caught.exception), method)
            with self.assertRaises(Fault, msg=method) as caught:
                self._execute_kw(self.consultant, method, args, kwargs)
            self.assertIn("amount", caught.exception.faultString, method)
        # The hours themselves: readable by the consultant, as before.
        lines = self._execute_kw(self.consultant, "search_read", [domain, ["unit_amount"]])
        self.assertEqual(sorted(line["unit_amount"] for line in lines), [1.0, 2.0])
        # The manager reads each one's cost, grouped by employee.
        result = self._call_kw(self.manager, "web_read_group", [domain], grouped)
        self.assertEqual(
            sorted(group["amount:sum"] for group in result["groups"]), [-1800.0, -600.0]
        )
        self.assertEqual(self.colleague_line.sudo().amount, -1800.0)
