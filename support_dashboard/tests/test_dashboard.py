import ast

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
        # Titles are translated terms of this addon (Swedish in i18n/sv.po).
        self.assertIn('=_t("Hours to Invoice")', snapshot["sheets"][0]["cells"].values())

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
