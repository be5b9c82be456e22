from datetime import datetime, time

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.tests import tagged

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestStatementSla(SupportTimesheetCase):
    """The statement counts the service level targets met in its month."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start = cls.month_start - relativedelta(months=1)
        cls.cust_patch.lang = "en_US"
        cls.env["support.sla.policy"].create(
            {
                "name": "Patch",
                "company_id": cls.company.id,
                "type_id": cls.type_patch.id,
                "response_hours": 2,
                "resolution_hours": 8,
            }
        )
        cls.sla_user = cls._user("st_sla_consultant", "support_contract.group_support_user")

    def _at(self, moment, func):
        saved = self.env.cr._now
        self.env.cr._now = moment
        try:
            with freeze_time(moment):
                return func()
        finally:
            self.env.cr._now = saved

    def test_targets_met_this_month(self):
        received = datetime.combine(self.start + relativedelta(days=4), time(9, 0))
        in_time = self._at(
            received, lambda: self._ticket(self.contact_patch, self.cat_tech, name="In time")
        )
        late = self._at(
            received, lambda: self._ticket(self.contact_patch, self.cat_tech, name="Late")
        )
        self.assertTrue(in_time.sla_policy_id and late.sla_policy_id)
        resolved = {"stage_id": self.env.ref("support_contract.stage_resolved").id}

        def answer_and_resolve():
            in_time.with_user(self.sla_user).message_post(
                body="Klart", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            in_time.write(dict(resolved, outcome="code_error"))

        self._at(received + relativedelta(minutes=30), answer_and_resolve)
        self._at(
            received + relativedelta(days=20),
            lambda: late.write(dict(resolved, outcome="code_error")),
        )
        self.assertEqual((in_time.sla_response_state, in_time.sla_resolution_state), ("met", "met"))
        self.assertEqual(
            (late.sla_response_state, late.sla_resolution_state), ("breached", "breached")
        )
        statement = self.env["support.statement"].create(
            {"partner_id": self.cust_patch.id, "company_id": self.company.id, "date": self.start}
        )
        values = statement._statement_values()
        self.assertEqual(values["sla"], {"answered": (1, 2), "resolved": (1, 2)})
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("support_timesheet.support_statement_report", statement.ids)[0]
            .decode()
        )
        self.assertIn(
            "Answered in time: <span>1</span> of <span>2</span> requests received this month "
            "(<span>50</span> %).",
            html,
        )
        self.assertIn(
            "Resolved in time: <span>1</span> of <span>2</span> requests resolved this month "
            "(<span>50</span> %).",
            html,
        )
        # The next month counts none of them.
        next_month = self.env["support.statement"].create(
            {
                "partner_id": self.cust_patch.id,
                "company_id": self.company.id,
                "date": self.month_start,
            }
        )
        self.assertEqual(
            next_month._statement_values()["sla"], {"answered": (0, 0), "resolved": (0, 0)}
        )
