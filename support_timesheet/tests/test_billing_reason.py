from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import SQL

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestBillingReason(SupportTimesheetCase):
    """A timesheet line's billing reason is written from the facts the engine stored, in the
    language of whoever reads it; nothing stored depends on who triggered the billing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("sv_SE")
        cls.swede = cls._user(
            "st_reason_swede", "support_contract.group_support_user", lang="sv_SE"
        )
        cls.env["hr.employee"].create(
            {"name": cls.swede.name, "user_id": cls.swede.id, "company_id": cls.company.id}
        )
        cls.manager = cls._user("st_reason_manager", "support_contract.group_support_manager")
        cls.consultant.lang = "en_US"

    def _read(self, line, user):
        """The reason as ``user`` reads it: in their language, with their rights."""
        return line.with_user(user).with_context(lang=user.lang).support_billing_reason

    def _log_as(self, user, ticket, hours, date=None):
        """Time logged by ``user`` from a client in their language, history on."""
        return (
            self.env["account.analytic.line"]
            .with_user(user)
            .with_context(lang=user.lang, tracking_disable=False)
            .create(
                {
                    "support_ticket_id": ticket.id,
                    "unit_amount": hours,
                    "name": "Work",
                    "date": date or self.month_start,
                }
            )
        )

    def _both(self, line):
        english, swedish = self._read(line, self.consultant), self._read(line, self.swede)
        self.assertNotEqual(english, swedish)
        return english, swedish

    def _row(self, table, record_id):
        """The stored row, without the columns saying who wrote it last and when."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT to_jsonb(t) FROM %s t WHERE id = %s", SQL.identifier(table), record_id)
        )
        row = self.env.cr.fetchone()[0]
        for column in ("write_uid", "write_date"):
            row.pop(column, None)
        return row

    def test_same_line_read_in_each_readers_language(self):
        pack = self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        # Logged by the Swedish consultant: the English consultant still reads English.
        line = self._log_as(self.swede, ticket, 1.5)
        english, swedish = self._both(line)
        self.assertTrue(english.startswith("Billable: "), english)
        self.assertIn(f"1.00 h drawn from pack {pack.name}", english)
        self.assertIn("0.50 h to invoice at the hourly rate", english)
        self.assertTrue(swedish.startswith("Debiterbart: "), swedish)
        self.assertIn(f"1.00 h dragna från paketet {pack.name}", swedish)
        self.assertIn("0.50 h att fakturera enligt timpris", swedish)
        # The line's coverage part is the ticket's reason, in the same reader's language.
        self.assertIn(ticket.with_context(lang="en_US").coverage_reason, english)
        self.assertIn(ticket.with_context(lang="sv_SE").coverage_reason, swedish)

    def test_nothing_stored_depends_on_who_rebills(self):
        self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        line = self._log(ticket, 1.5, date=self.today)
        line_row, ticket_row = (
            self._row("account_analytic_line", line.id),
            self._row("support_ticket", ticket.id),
        )
        self.assertNotIn("support_billing_reason", line_row)
        # The Swedish consultant's earlier work takes half of the pack from the English
        # consultant's line (both re-billed in Swedish), then goes: every stored value is back
        # as the English consultant's billing left it.
        earlier = self._log_as(self.swede, ticket, 0.5, date=self.today - timedelta(days=1))
        self.assertEqual(line.support_pack_hours, 0.5)
        self.assertIn("1.00 h att fakturera enligt timpris", self._read(line, self.swede))
        earlier.with_user(self.swede).with_context(lang="sv_SE").unlink()
        ticket.with_user(self.swede).with_context(lang="sv_SE")._support_recompute_billing()
        self.assertEqual(self._row("account_analytic_line", line.id), line_row)
        self.assertEqual(self._row("support_ticket", ticket.id), ticket_row)

    def test_reason_of_every_status(self):
        """Covered, drawn from a pack, held, refused, written off, to invoice, invoiced,
        within an invoiced minimum, billed again after a credit note: each in English and
        Swedish."""
        # Covered: the ticket's decision.
        covered_ticket = self._ticket(self.contact_patch, self.cat_tech)
        covered = self._log(covered_ticket, 1.0)
        self.assertEqual(covered.support_billing_status, "covered")
        english, swedish = self._both(covered)
        self.assertEqual(english, covered_ticket.with_context(lang="en_US").coverage_reason)
        self.assertEqual(swedish, covered_ticket.with_context(lang="sv_SE").coverage_reason)
        self.assertTrue(english.startswith("Covered"), english)
        self.assertTrue(swedish.startswith("Täckt"), swedish)

        # Drawn from a pack only.
        pack = self._pack(self.cust_b, 1.0)
        from_pack = self._log(self._ticket(self.contact_b), 1.0)
        self.assertEqual(from_pack.support_billing_status, "pack")
        english, swedish = self._both(from_pack)
        self.assertTrue(english.endswith(f"1.00 h drawn from pack {pack.name}"), english)
        self.assertTrue(swedish.endswith(f"1.00 h dragna från paketet {pack.name}"), swedish)

        # Held for approval, refused, written off.
        self.cust_a.support_cost_control = True
        self._key_user_agreement(self.cust_a, self.contact_a)
        held_ticket = self._ticket(self.contact_a)
        held = self._log(held_ticket, 2.0)
        self.assertEqual(held.support_billing_status, "held")
        english, swedish = self._both(held)
        self.assertIn("2.00 h beyond the prepaid balance await the customer's approval", english)
        self.assertIn("2.00 h utöver det förbetalda saldot väntar på kundens godkännande", swedish)
        held_ticket.action_refuse_extra_hours(partner_id=self.contact_a.id, note="By phone")
        self.assertEqual(held.support_billing_status, "refused")
        english, swedish = self._both(held)
        self.assertIn("2.00 h beyond the prepaid balance refused by the customer", english)
        self.assertIn("2.00 h utöver det förbetalda saldot avvisade av kunden", swedish)
        held_ticket.with_user(self.manager).action_write_off_refused_hours("Goodwill")
        self.assertEqual(held.support_billing_status, "written_off")
        english, swedish = self._both(held)
        self.assertIn("2.00 h refused by the customer, written off: Goodwill", english)
        self.assertIn("2.00 h avslagna av kunden, avskrivna: Goodwill", swedish)

    def test_reason_of_invoiced_and_released_lines(self):
        ticket = self._ticket(self.contact_b)
        line = self._log(ticket, 1.0)
        self.assertEqual(line.support_billing_status, "to_invoice")
        move = self._invoice()
        move.invoice_date = self.month_start
        move.action_post()
        self.assertEqual(line.support_billing_status, "invoiced")
        english, swedish = self._both(line)
        self.assertIn("1.00 h invoiced at the hourly rate", english)
        self.assertIn(f"Invoiced on {move.name} with ticket {ticket.number}: 1.00 h", english)
        self.assertIn("1.00 h fakturerade enligt timpris", swedish)
        self.assertIn(f"Fakturerad på {move.name} med ärende {ticket.number}: 1.00 h", swedish)
        # A posted credit note releases the line: billable again, and the reason says why.
        refund = self.env["account.move"].browse(
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": self.month_start})
            .refund_moves()["res_id"]
        )
        refund.with_user(self.accountant).action_post()
        self.assertEqual(line.support_billing_status, "to_invoice")
        english, swedish = self._both(line)
        self.assertIn("1.00 h to invoice at the hourly rate", english)
        self.assertIn(f"Invoiced before on {move.name}, released when that invoice", english)
        self.assertIn(f"Fakturerad tidigare på {move.name}, frisläppt när", swedish)

    def test_reason_within_invoiced_minimum(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.25)
        self._invoice()
        inside = self._log(ticket, 0.1)
        self.assertEqual(inside.support_billing_status, "within_minimum")
        self.assertEqual(inside.support_minimum_hours, 0.1)
        english, swedish = self._both(inside)
        self.assertTrue(
            english.endswith("0.10 h within the per-request minimum already invoiced"), english
        )
        self.assertTrue(
            swedish.endswith("0.10 h inom det redan fakturerade minimumet per ärende"), swedish
        )
        beyond = self._log(ticket, 0.4)
        self.assertEqual(beyond.support_minimum_hours, 0.15)
        english = self._read(beyond, self.consultant)
        self.assertIn("0.15 h within the per-request minimum already invoiced", english)
        self.assertIn("0.25 h to invoice at the hourly rate", english)

    def test_history_records_billing_changes(self):
        """The ticket's chatter keeps the approval state's changes, whoever triggered them."""
        self.cust_a.support_cost_control = True
        self._key_user_agreement(self.cust_a, self.contact_a)
        ticket = self._ticket(self.contact_a).with_context(tracking_disable=False)
        self._commit_tracking()  # ends the creation's tracking, as a commit would
        self._log_as(self.swede, ticket, 1.0)
        self._commit_tracking()
        self.assertEqual(ticket.approval_state, "pending")
        ticket.action_approve_extra_hours(partner_id=self.contact_a.id, note="By phone")
        self._commit_tracking()
        trackings = ticket.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "approval_state"
        )
        self.assertEqual(len(trackings), 2, "pending, then approved")

    def _commit_tracking(self):
        self.env.flush_all()
        self.cr.flush()
