import ast
from datetime import timedelta

from odoo import fields
from odoo.fields import Domain
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSupportDashboard(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref("support_dashboard.spreadsheet_dashboard_support")
        # Users of the superuser's time zone: "this month" is the demo data's whatever the hour.
        cls.manager = new_test_user(
            cls.env,
            login="sd_manager",
            groups="support_contract.group_support_manager",
            tz=cls.env.user.tz,
        )
        cls.consultant = new_test_user(
            cls.env,
            login="sd_consultant",
            groups="support_contract.group_support_user",
            tz=cls.env.user.tz,
        )

    def _snapshot(self, login):
        self.authenticate(login, login)
        response = self.url_open(f"/spreadsheet/dashboard/data/{self.dashboard.id}")
        self.assertEqual(response.status_code, 200)
        return response.json()["snapshot"]

    def test_data_sources_load(self):
        """Every pivot and chart of the dashboard reads its data as a Support Manager."""
        snapshot = self._snapshot(self.manager.login)
        self.assertEqual(len(snapshot["pivots"]), 13)
        sources = [
            (
                p["model"],
                p["domain"],
                [
                    f"{r['fieldName']}:{r['granularity']}"
                    if r.get("granularity")
                    else r["fieldName"]
                    for r in p["rows"]
                ],
                [m["fieldName"] for m in p["measures"]],
            )
            for p in snapshot["pivots"].values()
        ]
        charts = [
            f["data"]
            for f in snapshot["sheets"][0]["figures"]
            if f["data"]["type"].startswith("odoo_")
        ]
        self.assertEqual(len(charts), 2)
        sources += [
            (
                c["metaData"]["resModel"],
                c["searchParams"]["domain"],
                c["metaData"]["groupBy"],
                [c["metaData"]["measure"]],
            )
            for c in charts
        ]
        for model, domain, groupby, measures in sources:
            aggregates = [m if m == "__count" else f"{m}:sum" for m in measures]
            groups = (
                self.env[model]
                .with_user(self.manager)
                .formatted_read_group(domain, groupby, aggregates)
            )
            self.assertIsInstance(groups, list, model)
        # The demo's work this month waits to be invoiced: the domain matches the engine's status.
        self.assertTrue(
            self.env["account.analytic.line"].search_count(snapshot["pivots"]["2"]["domain"])
        )
        # The leaks are the Billing Leaks menu's lines (the engine's settled statuses, no copy).
        leaks = self.env.ref("support_timesheet.account_analytic_line_action_leaks")
        leaks_domain = [list(term) for term in ast.literal_eval(leaks.domain)]
        for pivot in ("3", "7"):
            self.assertEqual(snapshot["pivots"][pivot]["domain"], leaks_domain, pivot)
        # Service levels and ratings read the engine's stored states and Odoo's ratings.
        self.assertEqual(snapshot["pivots"]["9"]["model"], "support.ticket")
        self.assertIn(["sla_at_risk", "=", True], snapshot["pivots"]["10"]["domain"])
        self.assertEqual(snapshot["pivots"]["11"]["model"], "rating.rating")
        # Compliance: the share of the resolved requests resolved in time, as a percentage.
        sheet = snapshot["sheets"][0]
        self.assertEqual(sheet["cells"]["D53"], '=_t("In Time")')
        for row in range(54, 62):
            self.assertEqual(sheet["cells"][f"D{row}"], f'=IFERROR(B{row}/C{row},"")')
        self.assertEqual(snapshot["formats"][str(sheet["formats"]["D54:D61"])], "0%")
        # Titles are translated terms of this addon (Swedish in i18n/sv.po).
        self.assertIn('=_t("Hours to Invoice")', snapshot["sheets"][0]["cells"].values())

    def test_packs_running_low_at_the_customers_warning_level(self):
        """The dashboard's packs running low are the packs the customer is warned about: at
        its own warning level, not a fixed 5 hours."""
        snapshot = self._snapshot(self.manager.login)
        domain = snapshot["pivots"]["1"]["domain"]
        self.assertEqual(snapshot["pivots"]["8"]["domain"], domain)
        Partner = self.env["res.partner"]
        customers = Partner.create(
            [
                {"name": name, "is_company": True, "support_pack_warning_hours": level}
                for name, level in (("Varsam AB", 10.0), ("Lugn AB", 2.0), ("Tyst AB", 0.0))
            ]
        )
        today = fields.Date.context_today(self.manager)
        packs = self.env["support.hour.pack"].create(
            [
                {
                    "partner_id": customer.id,
                    "hours": 4.0,
                    "date_start": today - timedelta(days=30),
                    "date_end": today + timedelta(days=300),
                }
                for customer in customers
            ]
        )
        shown = (
            self.env["support.hour.pack"]
            .with_user(self.manager)
            .search(Domain(domain) & Domain("id", "in", packs.ids))
        )
        packs._send_balance_warnings()
        warned = packs.filtered("warning_sent")
        self.assertEqual(warned, packs[0], "only the customer warned at 10 hours")
        self.assertEqual(shown, warned)
        self.assertEqual(packs.mapped("is_running_low"), [True, False, False])

    def test_rights(self):
        """Only Support Managers see the dashboard and its menu."""
        Dashboard = self.env["spreadsheet.dashboard"]
        self.assertIn(self.dashboard, Dashboard.with_user(self.manager).search([]))
        self.assertNotIn(self.dashboard, Dashboard.with_user(self.consultant).search([]))
        menu = self.env.ref("support_dashboard.spreadsheet_dashboard_support_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.consultant)._visible_menu_ids())
        self.authenticate(self.consultant.login, self.consultant.login)
        response = self.url_open(f"/spreadsheet/dashboard/data/{self.dashboard.id}")
        self.assertNotEqual(response.status_code, 200)

    def test_dashboard_renders(self):
        """The dashboard opens in the Support app and draws its charts without an error."""
        code = """
            (async () => {
                for (let i = 0; i < 150; i++) {
                    if (document.querySelectorAll('.o-spreadsheet .o-figure').length >= 6) {
                        console.log('test successful');
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 200));
                }
                console.error('the Support dashboard did not render its charts');
            })();
        """
        self.browser_js(
            "/odoo/action-support_dashboard.spreadsheet_dashboard_support_action",
            code,
            login=self.manager.login,
            timeout=120,
        )
