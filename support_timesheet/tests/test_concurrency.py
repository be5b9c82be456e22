from dateutil.relativedelta import relativedelta
from psycopg2 import errors

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CommittedFixtureCase

REMAINING = "SELECT hours_remaining FROM support_hour_pack WHERE id = %s"


@tagged("post_install", "-at_install")
class TestConcurrency(CommittedFixtureCase):
    """Two real transactions on the last hours of a pack and on the same invoicing run.

    The fixture is committed by a separate cursor and removed at the end (CommittedFixtureCase).
    """

    def setUp(self):
        super().setUp()
        self.ids = {}
        with self._env() as env:
            company = env.ref("base.main_company")
            today = fields.Date.context_today(env.user)
            self.day = today.replace(day=1)
            partner = env["res.partner"].create({"name": "Samtidig AB", "is_company": True})
            contact = env["res.partner"].create({"name": "Sam Tidig", "parent_id": partner.id})
            category = env.ref("support_contract.category_db_correction")
            projects = env["project.project"].create(
                [
                    {"name": f"Concurrency {i}", "company_id": company.id, "allow_timesheets": True}
                    for i in (1, 2)
                ]
            )
            employees = env["hr.employee"].create(
                [{"name": f"Consultant {i}", "company_id": company.id} for i in (1, 2)]
            )
            tickets = env["support.ticket"].create(
                [
                    {
                        "name": f"Concurrent request {i}",
                        "partner_id": contact.id,
                        "category_id": category.id,
                        "request_date": self.day,
                        "project_id": project.id,
                        "company_id": company.id,
                    }
                    for i, project in enumerate(projects)
                ]
            )
            pack = env["support.hour.pack"].create(
                {
                    "partner_id": partner.id,
                    "hours": 2.0,
                    "date_start": self.day - relativedelta(months=1),
                    "date_end": self.day + relativedelta(months=11),
                    "company_id": company.id,
                }
            )
            self.ids = {
                "partner": partner.id,
                "contact": contact.id,
                "projects": projects.ids,
                "employees": employees.ids,
                "tickets": tickets.ids,
                "pack": pack.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._env() as env:
            tickets = env["support.ticket"].browse(self.ids["tickets"])
            lines = env["account.analytic.line"].search([("support_ticket_id", "in", tickets.ids)])
            moves = lines.support_invoice_line_id.move_id
            moves.button_cancel()
            moves.unlink()
            lines.unlink()
            tickets.unlink()
            env["support.hour.pack"].browse(self.ids["pack"]).unlink()
            projects = env["project.project"].browse(self.ids["projects"])
            accounts = projects.account_id
            projects.unlink()
            accounts.unlink()
            env["hr.employee"].browse(self.ids["employees"]).unlink()
            env["res.partner"].browse([self.ids["contact"], self.ids["partner"]]).unlink()

    @mute_logger("odoo.sql_db")
    def test_last_hours_of_a_pack(self):
        with self._two_envs() as (env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            # Both consultants log 1.5 h at the same moment on a 2 h pack.
            line1 = self._log(env1, 1.5)
            self.assertEqual(line1.support_pack_hours, 1.5)
            with self.assertRaises(errors.LockNotAvailable):
                self._log(env2, 1.5, index=1)
            cr2.rollback()
            cr1.commit()
            # The retry (as Odoo's RPC layer does) sees the first consultant's draw.
            line2 = self._log(env2, 1.5, index=1)
            self.assertEqual(line2.support_pack_hours, 0.5)
            self.assertEqual(line2.support_billed_hours, 1.0)
            self.assertEqual(line2.support_billing_status, "to_invoice")
            cr2.commit()

            # A writer whose snapshot predates the other's commit fails instead of overdrawing.
            cr2.execute(REMAINING, [self.ids["pack"]])
            self.assertEqual(cr2.fetchone()[0], 0.0)
            env1.invalidate_all()
            pack1 = env1["support.hour.pack"].browse(self.ids["pack"])
            self.assertEqual(pack1.hours_remaining, 0.0)
            self.assertEqual(pack1.hours_used, 2.0)
            cr1.commit()
            cr2.commit()

    @mute_logger("odoo.sql_db")
    def test_snapshot_before_other_commit(self):
        with self._two_envs() as (env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            # cr2's snapshot is taken before cr1 draws the pack and commits.
            cr2.execute(REMAINING, [self.ids["pack"]])
            self.assertEqual(cr2.fetchone()[0], 2.0)
            self._log(env1, 1.5)
            cr1.commit()
            with self.assertRaises(errors.SerializationFailure):
                self._log(env2, 1.5, index=1)
            cr2.rollback()
            line2 = self._log(env2, 1.5, index=1)
            self.assertEqual(line2.support_pack_hours, 0.5)
            cr2.commit()
            cr1.execute(REMAINING, [self.ids["pack"]])
            self.assertEqual(cr1.fetchone()[0], 0.0)

    @mute_logger("odoo.sql_db")
    def test_double_invoicing_run(self):
        with self._env() as env0:
            # 2 h from the pack, 3 h to invoice
            self._log(env0, 2.0)
            self._log(env0, 3.0, index=1)
        with self._two_envs() as (env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            cr2.execute("SELECT 1")  # cr2's snapshot predates cr1's commit
            moves = self._invoice(env1)
            self.assertEqual(len(moves), 1)
            self.assertEqual(moves.invoice_line_ids.quantity, 3.0)
            with self.assertRaises(errors.LockNotAvailable):
                self._invoice(env2)
            cr2.rollback()
            cr2.execute("SELECT 1")
            cr1.commit()
            with self.assertRaises(errors.SerializationFailure):
                self._invoice(env2)
            cr2.rollback()
            # The retry bills nothing twice.
            self.assertFalse(self._invoice(env2))
            cr2.commit()
            env1.invalidate_all()
            lines = env1["account.analytic.line"].search(
                [("support_ticket_id", "in", self.ids["tickets"])]
            )
            self.assertEqual(sorted(lines.mapped("support_billing_status")), ["invoiced", "pack"])
            self.assertEqual(
                env1["account.move.line"].search_count(
                    [("support_ticket_id", "in", self.ids["tickets"])]
                ),
                1,
            )
