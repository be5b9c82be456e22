from odoo.tests import tagged

from .common import SupportCase

# coverage.md, verbatim: code -> (patch, maintenance). inc, bill, key, sep.
MATRIX = {
    "tech_env": ("inc", "bill"),
    "new_instance": ("bill", "bill"),
    "external_config": ("bill", "bill"),
    "patch_testing": ("bill", "inc"),
    "patch_user_support": ("bill", "key"),
    "bug_fix": ("bill", "key"),
    "odoo_bug_report": ("bill", "key"),
    "source_patch_install": ("bill", "inc"),
    "code_upgrade": ("bill", "inc"),
    "key_user_advice": ("bill", "key"),
    "new_functionality": ("sep", "sep"),
    "process_review": ("sep", "sep"),
    "data_import": ("sep", "sep"),
    "db_correction": ("bill", "bill"),
    "end_user_training": ("bill", "bill"),
    "user_error_analysis": ("bill", "bill"),
    "backup_restore": ("sep", "sep"),
    "db_conversion_backup": ("sep", "sep"),
    "infrastructure": ("sep", "sep"),
    "pay_per_service": ("sep", "sep"),
    "external_app_support": ("sep", "sep"),
    "project_management": ("sep", "sep"),
    "licenses": ("sep", "sep"),
}
OUTCOMES = [False, "code_error", "no_code_error", "user_error", "other"]
OUTCOME_LABELS = {"no_code_error": "No code error identified", "user_error": "User error"}


@tagged("post_install", "-at_install")
class TestCoverageMatrix(SupportCase):
    def _expected(self, code, combo, is_key, outcome):
        """(coverage, agreement, [phrases the reason must contain]) from the table above."""
        patch, maint = MATRIX[code]
        charged = outcome in OUTCOME_LABELS
        if combo == "none":
            return "billable", None, ["has no active support agreement"]
        if patch == "sep":
            return "billable", None, ["always charged separately"]
        if combo == "on_demand":
            return "billable", None, ["is not included in", self.agr_ondemand.name]
        if combo == "lapsed":
            return "billable", None, ["prerequisite has lapsed", self.agr_lapsed.name]
        cells = [(self.agr_patch if combo == "patch" else self.agr_maint_patch, patch)]
        if combo == "patch_maint":
            cells.append((self.agr_maint, maint))
        for agreement, mode in cells:
            if mode == "key" and not is_key:
                return "billable", None, ["only for its Key Users", agreement.name, "Karin Nyckel"]
        for agreement, mode in cells:
            if mode in ("inc", "key") and charged:
                return "billable", None, [OUTCOME_LABELS[outcome], agreement.name]
        for agreement, mode in cells:
            if mode == "inc":
                return "covered", agreement, ["is included in", agreement.name]
            if mode == "key":
                return "covered", agreement, ["is a Key User", agreement.name]
        return "billable", None, ["is not included in"] + [a.name for a, _m in cells]

    def test_matrix(self):
        """Every category row x agreement combination x requester x open/resolved outcome."""
        self.assertEqual(set(self.cat), set(MATRIX), "seeded categories are those of coverage.md")
        combos = {
            "none": (self.cust_none, None),
            "on_demand": (self.cust_ondemand, None),
            "patch": (self.cust_patch, None),
            "patch_maint": (self.cust_maint, self.maint_key),
            "lapsed": (self.cust_lapsed, self.lapsed_key),
        }
        cases, vals_list = [], []
        for code in MATRIX:
            for combo, (customer, key_user) in combos.items():
                for is_key in (True, False) if key_user else (False,):
                    requester = key_user if is_key else self.contact[customer]
                    for outcome in OUTCOMES:
                        cases.append((code, combo, is_key, outcome))
                        vals_list.append(
                            {
                                "name": f"{code} {combo}",
                                "partner_id": requester.id,
                                "category_id": self.cat[code].id,
                                "request_date": self.day,
                                "outcome": outcome,
                                "stage_id": (self.stage_resolved if outcome else self.stage_new).id,
                            }
                        )
        tickets = self.env["support.ticket"].create(vals_list)
        for (code, combo, is_key, outcome), ticket in zip(cases, tickets, strict=True):
            coverage, agreement, phrases = self._expected(code, combo, is_key, outcome)
            with self.subTest(category=code, combo=combo, key_user=is_key, outcome=outcome):
                msg = f"{code}/{combo}/key={is_key}/{outcome}: {ticket.coverage_reason}"
                self.assertEqual(ticket.coverage, coverage, msg)
                self.assertEqual(ticket.coverage_decided, coverage, msg)
                self.assertEqual(
                    ticket.coverage_agreement_id, agreement or self.env["support.agreement"], msg
                )
                self.assertIn(self.cat[code].name, ticket.coverage_reason, msg)
                for phrase in phrases:
                    self.assertIn(phrase, ticket.coverage_reason, msg)
                self.assertTrue(ticket.coverage_reason.startswith(coverage.capitalize()), msg)

    def test_decide_unsaved_values(self):
        """The portal preview calls the decision on plain values."""
        decision = self.env["support.ticket"]._decide_coverage(
            [
                {
                    "partner_id": self.maint_key.id,
                    "category_id": self.cat["bug_fix"].id,
                    "request_date": self.day,
                    "outcome": False,
                    "company_id": self.company.id,
                },
                {"partner_id": False, "category_id": False},
            ]
        )
        self.assertEqual(decision[0]["coverage"], "covered")
        self.assertEqual(decision[0]["agreement_id"], self.agr_maint.id)
        self.assertEqual(decision[0]["mode"], "key_user")
        self.assertEqual(decision[0]["key_user_ids"], self.maint_key.ids)
        self.assertEqual(decision[1]["coverage"], "billable")
        self.assertFalse(decision[1]["agreement_id"])

    def test_other_company_agreement_does_not_cover(self):
        other = self.env["res.company"].create({"name": "Annat Bolag AB"})
        decision = self.env["support.ticket"]._decide_coverage(
            [
                {
                    "partner_id": self.contact[self.cust_patch].id,
                    "category_id": self.cat["tech_env"].id,
                    "request_date": self.day,
                    "outcome": False,
                    "company_id": other.id,
                }
            ]
        )
        self.assertEqual(decision[0]["coverage"], "billable")
        self.assertIn("no active support agreement", decision[0]["reason"])
