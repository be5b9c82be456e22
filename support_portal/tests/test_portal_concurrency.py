from contextlib import closing

from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.support_timesheet.tests.test_concurrency_money import MoneyConcurrencyCase


@tagged("post_install", "-at_install")
class TestPortalConcurrency(MoneyConcurrencyCase):
    """Two real transactions: a Key User approves held work in the portal while a consultant
    logs more time on the same request."""

    @mute_logger("odoo.sql_db")
    def test_approval_while_time_is_logged(self):
        with self._env() as env:
            env["res.partner"].browse(self.ids["partner"]).support_cost_control = True
            held = self._log(env, 1.0)
            self.assertEqual(held.support_billing_status, "held")
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            portal_env = api.Environment(cr1, self.ids["portal"], {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            portal_env["support.ticket"].browse(self.ids["ticket"])._portal_set_approval(True)
            portal_env.flush_all()
            # The consultant's hour waits for the approval: it fails at once, and is retried.
            with self.assertRaises(errors.LockNotAvailable):
                self._log(env2, 1.0)
            cr2.rollback()
            cr1.commit()
            env2.invalidate_all()
            line = self._log(env2, 1.0)
            self.assertEqual(line.support_billing_status, "to_invoice", "approved: billed")
            cr2.commit()
            env2.invalidate_all()
            ticket = env2["support.ticket"].browse(self.ids["ticket"])
            self.assertEqual(ticket.approval_state, "approved")
            self.assertEqual(ticket.hours_to_invoice, 2.0)
            self.assertEqual(
                set(ticket.timesheet_ids.mapped("support_billing_status")), {"to_invoice"}
            )
            with self.assertRaises(UserError):
                ticket.with_user(self.ids["portal"])._portal_set_approval(True)
            cr2.rollback()
