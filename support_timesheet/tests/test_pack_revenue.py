import importlib.util

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import SupportTimesheetCase


@tagged("post_install", "-at_install")
class TestPackRevenue(SupportTimesheetCase):
    """Prepaid packs as deferred income on the generic chart: the sale books the pack on the
    deferred revenue account, the monthly recognition moves what the pack earned to income,
    as a true-up, with each undo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deferred = cls.env["account.account"].create(
            {
                "name": "Deferred support pack revenue",
                "code": "299100",
                "account_type": "liability_current",
                "company_ids": [(6, 0, cls.company.ids)],
            }
        )
        cls.company.support_deferred_revenue_account_id = cls.deferred
        cls.income = cls.pack_25.product_tmpl_id.with_company(cls.company).get_product_accounts()[
            "income"
        ]
        cls.last_month = cls.month_start - relativedelta(months=1)
        cls.last_day = cls.month_start - relativedelta(days=1)
        cls.Move = cls.env["account.move"]
        cls.portal = cls._user("st_portal_rev", "base.group_portal")

    # ------------------------------------------------------------------ helpers
    def _sell(self, partner, day, price=20000.0, quantity=1):
        move = self.Move.create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": day,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {"product_id": self.pack_25.id, "quantity": quantity, "price_unit": price},
                    )
                ],
            }
        )
        move.action_post()
        packs = self.env["support.hour.pack"].search([("invoice_line_id.move_id", "=", move.id)])
        return move, packs

    def _recognise(self, date, user=None):
        wizard = (
            self.env["support.pack.revenue.recognise"]
            .with_user(user or self.accountant)
            .create({"date": date})
        )
        wizard.action_recognise()
        return self._entries()

    def _entries(self, company=None):
        return self.Move.search(
            [
                ("support_is_pack_revenue", "=", True),
                ("company_id", "=", (company or self.company).id),
            ],
            order="date, id",
        )

    def _by_account(self, lines):
        totals = {}
        for line in lines:
            totals[line.account_id] = round(totals.get(line.account_id, 0.0) + line.balance, 2)
        return {account: total for account, total in totals.items() if total}

    def _deferred_balance(self, account=None, company=None):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", (account or self.deferred).id),
                ("parent_state", "=", "posted"),
                ("company_id", "=", (company or self.company).id),
            ]
        )
        return round(sum(lines.mapped("balance")), 2)

    def _report(self, packs):
        Report = self.env["support.hour.pack.revenue"].with_user(self.accountant)
        Report.invalidate_model()
        return Report.search([("pack_id", "in", packs.ids)])

    def _assert_report_ties(self, company=None, account=None):
        """The report's deferred total is the deferred account's (credit) balance."""
        Report = self.env["support.hour.pack.revenue"]
        Report.invalidate_model()
        company = company or self.company
        groups = Report._read_group([("company_id", "=", company.id)], [], ["deferred_amount:sum"])
        self.assertAlmostEqual(groups[0][0], -self._deferred_balance(account, company), 2)

    # ------------------------------------------------------------------ tests
    def test_setting_is_a_current_liability(self):
        self.assertEqual(self.company.chart_template, "generic_coa")
        with self.assertRaises(ValidationError):
            self.company.support_deferred_revenue_account_id = self.income
        self.assertEqual(self.company.support_deferred_revenue_account_id, self.deferred)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.support_deferred_revenue_account_id, self.deferred)

    def test_sale_deferred_then_recognised_monthly(self):
        move, pack = self._sell(self.cust_a, self.last_month)
        self.assertEqual(pack.deferred_account_id, self.deferred)
        pack_line = move.invoice_line_ids
        self.assertEqual(pack_line.account_id, self.deferred)
        self.assertEqual(move.amount_untaxed, 20000.0)
        self.assertEqual(self._by_account(move.line_ids)[self.deferred], -20000.0)
        self.assertNotIn(self.income, move.line_ids.account_id)

        # 4 h drawn last month at 800 an hour (20,000 / 25 h).
        ticket = self._ticket(self.contact_a, request_date=self.last_month + relativedelta(days=9))
        self._log(ticket, 4.0, date=self.last_month + relativedelta(days=9))
        self.assertEqual(ticket.hours_from_pack, 4.0)
        entry = self._recognise(self.last_day)
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.date, self.last_day)
        self.assertEqual(
            self._by_account(entry.line_ids), {self.deferred: 3200.0, self.income: -3200.0}
        )
        for line in entry.line_ids:
            self.assertIn(pack.name, line.name)
            self.assertIn(self.cust_a.name, line.name)
            self.assertEqual(line.partner_id, self.cust_a)
            self.assertEqual(line.support_pack_id, pack)

        # Re-run, and the monthly job twice: nothing changed, nothing posted.
        self.assertEqual(self._recognise(self.last_day), entry)
        all_entries = self.Move.search([("support_is_pack_revenue", "=", True)])
        cron = self.env.ref("support_timesheet.ir_cron_support_pack_revenue")
        self.assertEqual(cron.code.strip(), "model._cron_recognise_revenue()")
        # As the scheduler runs it: as the job's user, who is no accountant.
        Pack = self.env["support.hour.pack"].with_user(cron.user_id)
        Pack._cron_recognise_revenue()
        after_first = self.Move.search([("support_is_pack_revenue", "=", True)])
        self.assertEqual(after_first & self._entries(), entry, "our company: nothing new")
        Pack._cron_recognise_revenue()
        self.assertEqual(
            self.Move.search([("support_is_pack_revenue", "=", True)]), after_first | all_entries
        )
        self.assertEqual(
            self._by_account(entry.line_ids), {self.deferred: 3200.0, self.income: -3200.0}
        )

        # This month: 3 h more, recognised in this month's entry.
        more = self._log(ticket, 3.0, date=self.month_start)
        entries = self._recognise(self.today)
        this_month = entries - entry
        self.assertEqual(len(this_month), 1)
        self.assertEqual(this_month.date, self.today)
        self.assertEqual(
            self._by_account(this_month.line_ids), {self.deferred: 2400.0, self.income: -2400.0}
        )
        report = self._report(pack)
        self.assertEqual(
            (report.sold_amount, report.recognised_amount, report.deferred_amount),
            (20000.0, 5600.0, 14400.0),
        )
        self._assert_report_ties()

        # Work re-billed (3 h become 1 h): the month's one entry is rewritten, not a new one.
        more.unit_amount = 1.0
        self.assertEqual(ticket.hours_from_pack, 5.0)
        self.assertEqual(self._recognise(self.today), entries)
        self.assertEqual(this_month.state, "posted")
        self.assertEqual(
            self._by_account(this_month.line_ids), {self.deferred: 800.0, self.income: -800.0}
        )
        self._assert_report_ties()

        # The draw released (the line deleted): this month recognises nothing any more.
        more.unlink()
        self._recognise(self.today)
        self.assertEqual(this_month.state, "cancel")
        self.assertEqual(
            self._by_account(entry.line_ids), {self.deferred: 3200.0, self.income: -3200.0}
        )
        self.assertEqual(self._report(pack).deferred_amount, 16800.0)
        self._assert_report_ties()
        # ... and comes back on the next run when work draws again.
        self._log(ticket, 0.5, date=self.month_start)
        self._recognise(self.today)
        self.assertEqual(this_month.state, "posted")
        self.assertEqual(
            self._by_account(this_month.line_ids), {self.deferred: 400.0, self.income: -400.0}
        )
        self.assertEqual(len(self._entries()), 2, "one entry per month")

    def test_credited_pack_sale(self):
        move, pack = self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 4.0, date=self.last_month)
        first = self._recognise(self.last_day)
        self.assertEqual(
            self._by_account(first.line_ids), {self.deferred: 3200.0, self.income: -3200.0}
        )

        # A draft credit note changes nothing.
        draft = move._reverse_moves()
        self.assertEqual(draft.state, "draft")
        self.assertEqual(self._recognise(self.today), first)
        draft.unlink()

        # The posted credit note takes the pack sale back from the deferred account; the next run
        # reverses what was recognised: nothing stays deferred, nothing stays income.
        credit = move._reverse_moves(cancel=True)
        self.assertEqual(credit.state, "posted")
        self.assertEqual(self._by_account(credit.line_ids)[self.deferred], 20000.0)
        self.assertEqual(credit.invoice_line_ids.support_pack_sale_line_id, move.invoice_line_ids)
        self.assertTrue(pack.exists(), "the pack is kept: hours were drawn from it")
        self.assertEqual(self._report(pack).deferred_amount, -3200.0)
        self._assert_report_ties()
        entries = self._recognise(self.today)
        reversal = entries - first
        self.assertEqual(
            self._by_account(reversal.line_ids), {self.deferred: -3200.0, self.income: 3200.0}
        )
        report = self._report(pack)
        self.assertEqual(
            (report.sold_amount, report.credited_amount, report.recognised_amount),
            (20000.0, 20000.0, 0.0),
        )
        self.assertEqual(report.deferred_amount, 0.0)
        self.assertEqual(self._deferred_balance(), 0.0)
        pack_lines = (move | credit | entries).line_ids.filtered(
            lambda line: line.account_id == self.income
        )
        self.assertEqual(round(sum(pack_lines.mapped("balance")), 2), 0.0)
        self.assertEqual(self._recognise(self.today), entries, "re-run: nothing")

    def test_migrated_credit_notes_linked(self):
        """19.0.1.2.0: a pack sale credited before the link existed stays worth nothing."""
        move, pack = self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 4.0, date=self.last_month)
        credit = move._reverse_moves(cancel=True)
        self.env.flush_all()
        # As before the upgrade: no link.
        self.env.cr.execute(
            "UPDATE account_move_line SET support_pack_sale_line_id = NULL WHERE move_id = %s",
            (credit.id,),
        )
        self.env.invalidate_all()
        self.assertEqual(pack._support_earned_until(self.today)[pack.id], (20000.0, 3200.0))
        path = file_path("support_timesheet/migrations/19.0.1.2.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("support_timesheet_post_migrate_12", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for _run in range(2):
            module.migrate(self.env.cr, "19.0.1.1.0")
            self.env.invalidate_all()
            self.assertEqual(
                credit.invoice_line_ids.support_pack_sale_line_id, move.invoice_line_ids
            )
            self.assertEqual(pack._support_earned_until(self.today)[pack.id], (0.0, 0.0))

    def test_cancelled_pack_sale(self):
        move, pack = self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 2.0, date=self.last_month)
        first = self._recognise(self.last_day)
        self.assertEqual(
            self._by_account(first.line_ids), {self.deferred: 1600.0, self.income: -1600.0}
        )
        move.button_cancel()
        self.assertEqual(move.state, "cancel")
        self.assertTrue(pack.exists(), "kept: hours were drawn from it")
        self._assert_report_ties()
        reversal = self._recognise(self.today) - first
        self.assertEqual(
            self._by_account(reversal.line_ids), {self.deferred: -1600.0, self.income: 1600.0}
        )
        self.assertEqual(self._deferred_balance(), 0.0)
        self.assertEqual(self._report(pack).deferred_amount, 0.0)
        self.assertFalse(self._recognise(self.today) - first - reversal)

    def test_expiry_and_lock_date(self):
        # A pack sold 13 months ago (valid 12 months), 5 h drawn: at expiry the 20 h left earn.
        sold_on = self.month_start - relativedelta(months=13)
        move, pack = self._sell(self.cust_b, sold_on)
        self.assertLess(pack.date_end, self.last_month)
        ticket = self._ticket(self.contact_b, request_date=sold_on + relativedelta(days=4))
        self._log(ticket, 5.0, date=sold_on + relativedelta(days=4))
        # The books are closed until the end of last month: the entry goes to the first open day.
        # (Odoo refuses to lock a period with unreconciled bank lines: the demo's go.)
        domain = [("company_id", "=", self.company.id)]
        self.env["account.bank.statement"].search(domain).unlink()
        self.env["account.bank.statement.line"].search(domain).unlink()
        self.company.sudo().fiscalyear_lock_date = self.last_day
        entry = self._recognise(self.last_day)
        self.assertEqual(entry.date, self.month_start)
        self.assertEqual(
            self._by_account(entry.line_ids), {self.deferred: 20000.0, self.income: -20000.0}
        )
        self.assertEqual(self._report(pack).deferred_amount, 0.0)
        self.assertEqual(self._recognise(self.today), entry)
        self._assert_report_ties()
        # The agreement profitability counts the pack's recognised income, not its sale.
        Profitability = self.env["support.agreement.profitability"]
        Profitability.invalidate_model()
        rows = Profitability.search([("partner_id", "=", self.cust_b.id)])
        self.assertAlmostEqual(sum(rows.mapped("pack_drawn_amount")), 4000.0)
        self.assertAlmostEqual(sum(rows.mapped("pack_expired_amount")), 16000.0)
        self.assertAlmostEqual(sum(rows.mapped("pack_expired_hours")), 20.0)
        self.assertAlmostEqual(sum(rows.mapped("revenue")), 20000.0)
        expired_row = rows.filtered("pack_expired_amount")
        self.assertEqual(expired_row.date, (pack.date_end + relativedelta(days=1)).replace(day=1))

    def test_time_credit_note_releases_and_redraws(self):
        """A credit note of a time invoice releases its work, which is billed again by today's
        rules: a draw released (the ticket was found to be covered) and one made (the other
        ticket now draws from packs). The next run posts the difference, once."""
        _move, pack = self._sell(self.cust_a, self.last_month)  # 25 h at 800
        day = self.last_month + relativedelta(days=9)
        split = self._ticket(self.contact_a, request_date=day, name="Split over the pack")
        split_line = self._log(split, 27.0, date=day)  # 25 h from the pack, 2 h hourly
        licenses = self.env.ref("support_contract.category_licenses")
        self.assertFalse(licenses.draws_from_packs)
        separate = self._ticket(self.contact_a, licenses, request_date=day, name="Licences")
        self._log(separate, 3.0, date=day)
        self.assertEqual((split_line.support_pack_hours, split_line.support_billed_hours), (25, 2))
        invoice = self._invoice(date_from=self.last_month, date_to=self.last_day)
        self.assertEqual(invoice.invoice_line_ids.mapped("quantity"), [2.0, 3.0])
        invoice.invoice_date = self.last_day
        invoice.action_post()
        first = self._recognise(self.last_day)
        self.assertEqual(
            self._by_account(first.line_ids), {self.deferred: 20000.0, self.income: -20000.0}
        )

        # Billed work keeps its billing until the invoice is credited: nothing moves yet.
        split.write({"coverage_override": "covered", "coverage_override_reason": "Our bug"})
        separate.category_id = self.cat_db
        self.assertEqual(pack.hours_used, 25.0)
        self.assertEqual(self._recognise(self.today), first)

        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "date": self.month_start})
        )
        credit = self.Move.browse(reversal.refund_moves()["res_id"])
        credit.action_post()
        self.assertTrue(invoice.support_released)
        self.assertEqual(split_line.support_billing_status, "covered")
        self.assertFalse(split_line.support_consumption_ids, "the draw is released")
        self.assertEqual(pack.consumption_ids.ticket_id, separate, "and one is made")
        self.assertEqual(pack.hours_used, 3.0)
        # Nothing to invoice again: no invoice, empty or not.
        self.assertFalse(self._invoice(date_from=self.last_month, date_to=self.last_day))

        entries = self._recognise(self.today)
        this_month = entries - first
        self.assertEqual(len(this_month), 1)
        self.assertEqual(  # (3 - 25) h at 800
            self._by_account(this_month.line_ids), {self.deferred: -17600.0, self.income: 17600.0}
        )
        self.assertEqual(
            self._by_account(first.line_ids), {self.deferred: 20000.0, self.income: -20000.0}
        )
        self.assertEqual(self._recognise(self.today), entries, "re-run: nothing")
        report = self._report(pack)
        self.assertEqual((report.recognised_amount, report.deferred_amount), (2400.0, 17600.0))
        self._assert_report_ties()

    def test_two_packs_on_one_discounted_line(self):
        """Each pack is worth its share of the line's untaxed amount after the discount."""
        move = self.Move.create(
            {
                "move_type": "out_invoice",
                "partner_id": self.cust_b.id,
                "invoice_date": self.last_month,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.pack_25.id,
                            "quantity": 2,
                            "price_unit": 20000.0,
                            "discount": 10.0,
                        }
                    )
                ],
            }
        )
        move.action_post()
        self.assertEqual(self._by_account(move.line_ids)[self.deferred], -36000.0)
        packs = self.env["support.hour.pack"].search(
            [("invoice_line_id", "=", move.invoice_line_ids.id)], order="id"
        )
        self.assertEqual(len(packs), 2)
        day = self.last_month + relativedelta(days=3)
        self._log(self._ticket(self.contact_b, request_date=day), 27.0, date=day)
        self.assertEqual(packs.mapped("hours_used"), [25.0, 2.0])
        entry = self._recognise(self.last_day)
        by_pack = {
            pack: self._by_account(
                entry.line_ids.filtered(lambda line, p=pack: line.support_pack_id == p)
            )
            for pack in packs
        }
        # 18,000 a pack, 720 an hour.
        self.assertEqual(by_pack[packs[0]], {self.deferred: 18000.0, self.income: -18000.0})
        self.assertEqual(by_pack[packs[1]], {self.deferred: 1440.0, self.income: -1440.0})
        self.assertEqual(self._report(packs).mapped("deferred_amount"), [0.0, 16560.0])
        self._assert_report_ties()

    def test_expiry_recognises_the_hours_left(self):
        """Hours drawn are recognised in their month; the pack's expiry, later, the hours left."""
        sold_on = self.month_start - relativedelta(months=13)
        _move, pack = self._sell(self.cust_b, sold_on)  # 25 h at 800
        day = sold_on + relativedelta(days=4)
        self._log(self._ticket(self.contact_b, request_date=day), 5.0, date=day)
        month_end = sold_on + relativedelta(months=1, days=-1)
        drawn = self._recognise(month_end)
        self.assertEqual(drawn.date, month_end)
        self.assertEqual(
            self._by_account(drawn.line_ids), {self.deferred: 4000.0, self.income: -4000.0}
        )
        self.assertEqual(self._report(pack).deferred_amount, 16000.0)
        expired = self._recognise(self.last_day) - drawn
        self.assertEqual(expired.date, self.last_day)
        self.assertEqual(  # the 20 h left, on the day after the pack's last valid day
            self._by_account(expired.line_ids), {self.deferred: 16000.0, self.income: -16000.0}
        )
        self.assertEqual(self._recognise(self.today), drawn | expired)
        self.assertEqual(self._report(pack).deferred_amount, 0.0)
        self._assert_report_ties()

    def test_reversed_entry_is_recognised_again(self):
        """The accountant reverses a month's entry with Odoo's *Reverse*: the report follows the
        books, and the next run recognises what the packs earned again."""
        _move, pack = self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 4.0, date=self.last_month)
        first = self._recognise(self.last_day)
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=first.ids)
            .create({"journal_id": first.journal_id.id, "date": self.month_start})
        )
        reverse = self.Move.browse(reversal.refund_moves()["res_id"])
        self.assertEqual(reverse.state, "posted")
        self.assertEqual(reverse.line_ids.support_pack_id, pack)
        self.assertEqual(
            self._by_account(reverse.line_ids), {self.deferred: -3200.0, self.income: 3200.0}
        )
        self.assertEqual(self._report(pack).recognised_amount, 0.0)
        self._assert_report_ties()
        again = self._recognise(self.today) - first - reverse
        self.assertEqual(
            self._by_account(again.line_ids), {self.deferred: 3200.0, self.income: -3200.0}
        )
        self.assertEqual(self._report(pack).recognised_amount, 3200.0)
        self._assert_report_ties()
        self.assertEqual(self._recognise(self.today), first | again, "re-run: nothing")

    def test_statement_shows_the_value_used(self):
        """The customer's statement values each pack by the rule the books recognise: paid,
        used by the end of the month, left (not the sale alone)."""
        _move, pack = self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 4.0, date=self.last_month)
        self._log(ticket, 1.0, date=self.month_start)
        statement = (
            self.env["support.statement"]
            .sudo()
            .create(
                {
                    "partner_id": self.cust_a.id,
                    "company_id": self.company.id,
                    "date": self.last_month,
                }
            )
        )
        row = statement._statement_values()["packs"][0]
        self.assertEqual(row["pack"], pack)
        self.assertEqual((row["value"], row["value_used"]), (20000.0, 3200.0))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("support_timesheet.support_statement_report", statement.ids)[0]
            .decode()
        )
        self.assertIn("o_support_statement_pack_value", html)

    def test_rights(self):
        self._sell(self.cust_a, self.last_month)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 2.0, date=self.last_month)
        wizard = self.env["support.pack.revenue.recognise"].with_user(self.consultant)
        with self.assertRaises(AccessError):
            wizard.create({"date": self.today}).action_recognise()
        with self.assertRaises(AccessError):
            self.env["support.hour.pack"].with_user(self.consultant)._support_recognise_revenue(
                self.today, self.company
            )
        with self.assertRaises(AccessError):
            self.env["support.pack.revenue.recognise"].with_user(self.portal).create(
                {"date": self.today}
            ).action_recognise()
        with self.assertRaises(AccessError):
            self.env["support.hour.pack"].with_user(self.portal)._support_recognise_revenue(
                self.today, self.company
            )
        self.assertFalse(self._entries())
        # Nobody marks a move as a pack revenue entry by hand.
        draft = self.Move.with_user(self.accountant).create({"move_type": "entry", "ref": "Manual"})
        with self.assertRaises(AccessError):
            draft.support_is_pack_revenue = True
        self.assertFalse(draft.support_is_pack_revenue)
        action = (
            self.env["support.pack.revenue.recognise"]
            .with_user(self.accountant)
            .create({"date": self.today})
            .action_recognise()
        )
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(self._entries().id, action["res_id"])

    def test_without_setting_packs_are_income(self):
        self.company.support_deferred_revenue_account_id = False
        move, pack = self._sell(self.cust_a, self.last_month)
        self.assertEqual(move.invoice_line_ids.account_id, self.income)
        self.assertFalse(pack.deferred_account_id)
        ticket = self._ticket(self.contact_a, request_date=self.last_month)
        self._log(ticket, 2.0, date=self.last_month)
        self.assertFalse(self._recognise(self.today))
        self.assertFalse(self._report(pack))


@tagged("post_install", "-at_install")
class TestPackRevenueSwedish(SupportTimesheetCase):
    """The demo's Swedish books: packs sold on 2970 Förutbetalda intäkter, recognised to 30012."""

    def test_demo_pack_recognised_on_bas_accounts(self):
        company = self.env.ref("support_contract.company_cloudworkz")
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        chart = env["account.chart.template"].with_company(company)
        deferred = chart.ref("a2970")
        self.assertEqual(deferred.code, "2970")
        self.assertEqual(company.support_deferred_revenue_account_id, deferred)
        sale = env.ref("support_timesheet.invoice_pack_patch")
        by_code = {}
        for line in sale.line_ids:
            by_code[line.account_id.code] = by_code.get(line.account_id.code, 0.0) + line.balance
        self.assertEqual(by_code, {"1510": 35937.5, "2970": -28750.0, "2611": -7187.5})
        pack = env["support.hour.pack"].search(
            [("invoice_line_id", "in", sale.invoice_line_ids.ids)]
        )
        self.assertEqual(pack.hours_used, 12.5)

        # The demo closed last month: one entry at its end, for the hours drawn until then at
        # 1,150 an hour (28,750 / 25 h); today's run adds this month's, a re-run nothing.
        last_day = self.today.replace(day=1) - relativedelta(days=1)
        Move = env["account.move"]
        domain = [("support_is_pack_revenue", "=", True), ("company_id", "=", company.id)]
        closing = Move.search(domain)
        self.assertEqual(len(closing), 1)
        self.assertEqual(closing.date, last_day)
        self.assertEqual(closing.journal_id.type, "general")
        drawn = sum(pack.consumption_ids.filtered(lambda c: c.date <= last_day).mapped("hours"))
        self.assertTrue(drawn)

        def by_code(moves):
            totals = {}
            for line in moves.line_ids:
                code = line.account_id.code
                totals[code] = round(totals.get(code, 0.0) + line.balance, 2)
            return totals

        self.assertEqual(by_code(closing), {"2970": drawn * 1150.0, "30012": -drawn * 1150.0})
        env["support.hour.pack"]._support_recognise_revenue(self.today, company)
        entries = Move.search(domain)
        self.assertFalse(env["support.hour.pack"]._support_recognise_revenue(self.today, company))
        self.assertEqual(by_code(entries), {"2970": 14375.0, "30012": -14375.0})  # 12.5 h

        report = env["support.hour.pack.revenue"].search([("company_id", "=", company.id)])
        self.assertEqual(report.mapped("pack_id"), pack)
        lines = env["account.move.line"].search(
            [("account_id", "=", deferred.id), ("parent_state", "=", "posted")]
        )
        self.assertAlmostEqual(sum(report.mapped("deferred_amount")), -sum(lines.mapped("balance")))
        self.assertEqual(report.deferred_amount, 14375.0)

    def test_swedish_cycle_with_each_undo(self):
        """On the Swedish books (BAS): pack sales on 2970 (a German business's without VAT),
        recognised per pack to the income account the sale's fiscal position gives (30012, the
        EU's 3308), a re-run, expiry, a draw released by a credit note of the time invoice, a
        pack sale credited, a locked period; the report's deferred total is 2970's balance."""
        company = self.env.ref("support_contract.company_cloudworkz")
        company.vat = company.vat or "SE556677889901"
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        chart = env["account.chart.template"].with_company(company)
        deferred = chart.ref("a2970")
        Move = env["account.move"]
        Pack = env["support.hour.pack"]
        employee = env.ref("support_timesheet.employee_consultant")
        last_month = self.month_start - relativedelta(months=1)
        last_day = self.month_start - relativedelta(days=1)
        se_cust = self._customer(
            "Förskott AB", country_id=self.env.ref("base.se").id, vat="SE556000016701"
        )
        de_cust = self._customer(
            "Vorauskasse GmbH", country_id=self.env.ref("base.de").id, vat="DE123456788"
        )
        contacts = {c: self._contact(c, f"Kontakt {c.name}") for c in (se_cust, de_cust)}

        def sell(customer, price, day):
            move = Move.create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "invoice_date": day,
                    "invoice_line_ids": [
                        Command.create({"product_id": self.pack_25.id, "price_unit": price})
                    ],
                }
            )
            move.action_post()
            return move, Pack.search([("invoice_line_id", "in", move.invoice_line_ids.ids)])

        def work(customer, hours, day, name):
            ticket = self._ticket(
                contacts[customer], company_id=company.id, request_date=day, name=name
            )
            env["account.analytic.line"].create(
                {
                    "support_ticket_id": ticket.id,
                    "employee_id": employee.id,
                    "unit_amount": hours,
                    "date": day,
                    "name": "Arbete",
                }
            )
            return ticket

        def by_code(moves, pack=None):
            totals = {}
            for line in moves.line_ids:
                if pack is None or line.support_pack_id == pack:
                    code = line.account_id.code
                    totals[code] = round(totals.get(code, 0.0) + line.balance, 2)
            return {code: total for code, total in totals.items() if total}

        def recognise(day):
            return Pack._support_recognise_revenue(day, company)

        def credit_note(move):
            reversal = (
                env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"journal_id": move.journal_id.id, "date": self.month_start})
            )
            credit = Move.browse(reversal.refund_moves()["res_id"])
            credit.action_post()
            return credit

        def report(pack):
            env["support.hour.pack.revenue"].invalidate_model()
            return env["support.hour.pack.revenue"].search([("pack_id", "=", pack.id)])

        def assert_ties():
            Report = env["support.hour.pack.revenue"]
            Report.invalidate_model()
            groups = Report._read_group(
                [("company_id", "=", company.id)], [], ["deferred_amount:sum"]
            )
            lines = env["account.move.line"].search(
                [
                    ("account_id", "=", deferred.id),
                    ("parent_state", "=", "posted"),
                    ("company_id", "=", company.id),
                ]
            )
            self.assertAlmostEqual(groups[0][0], -sum(lines.mapped("balance")), 2)

        # The sales: the untaxed amount on 2970, Swedish VAT, none for the EU business.
        se_sale, se_pack = sell(se_cust, 25000.0, last_month)  # 1,000 an hour
        self.assertEqual(by_code(se_sale), {"1510": 31250.0, "2970": -25000.0, "2611": -6250.0})
        de_sale, de_pack = sell(de_cust, 20000.0, last_month)  # 800 an hour
        self.assertEqual(de_sale.fiscal_position_id, chart.ref("fp_euro_b2b"))
        self.assertEqual(by_code(de_sale), {"1510": 20000.0, "2970": -20000.0})
        sold_on = self.month_start - relativedelta(months=13)
        _old_sale, old_pack = sell(se_cust, 12500.0, sold_on)  # 500 an hour, expired
        self.assertLess(old_pack.date_end, last_month)
        self.assertEqual((se_pack | de_pack | old_pack).deferred_account_id, deferred)

        work(se_cust, 5.0, sold_on + relativedelta(days=4), "Old work")  # the old pack: 5 h
        work(se_cust, 4.0, last_month + relativedelta(days=9), "Report")  # se_pack: 4 h
        work(de_cust, 3.0, last_month + relativedelta(days=9), "Rechnung")  # de_pack: 3 h
        migration = work(se_cust, 23.0, last_month + relativedelta(days=14), "Migration")
        line = migration.timesheet_ids
        self.assertEqual((line.support_pack_hours, line.support_billed_hours), (21.0, 2.0))
        invoice = env["support.ticket"]._support_create_invoices(se_cust, last_month, last_day)
        self.assertEqual(invoice.invoice_line_ids.support_ticket_id, migration)
        self.assertEqual(invoice.invoice_line_ids.quantity, 2.0)
        invoice.invoice_date = last_day
        invoice.action_post()

        # Last month's recognition: per pack, the hours drawn at its price; the expired pack
        # its hours left too; lines naming the pack and its customer. Again: nothing.
        first = recognise(last_day)
        self.assertEqual(first.date, last_day)
        self.assertEqual(first.state, "posted")
        self.assertEqual(by_code(first, se_pack), {"2970": 25000.0, "30012": -25000.0})
        self.assertEqual(by_code(first, de_pack), {"2970": 2400.0, "3308": -2400.0})
        self.assertEqual(by_code(first, old_pack), {"2970": 12500.0, "30012": -12500.0})
        for pack, customer in ((se_pack, se_cust), (de_pack, de_cust), (old_pack, se_cust)):
            for entry_line in first.line_ids.filtered(lambda el, p=pack: el.support_pack_id == p):
                self.assertIn(pack.name, entry_line.name)
                self.assertIn(customer.name, entry_line.name)
                self.assertEqual(entry_line.partner_id, customer)
        self.assertFalse(recognise(last_day))
        assert_ties()

        # The migration was our fault: covered. Invoiced work keeps its draws until the credit
        # note releases it; then the pack gets its 21 h back and the next run takes them back.
        migration.write({"coverage_override": "covered", "coverage_override_reason": "Vårt fel"})
        self.assertEqual(se_pack.hours_used, 25.0)
        self.assertFalse(by_code(recognise(self.today), se_pack))
        credit_note(invoice)
        self.assertEqual(line.support_billing_status, "covered")
        self.assertEqual(se_pack.hours_used, 4.0)
        self.assertFalse(
            env["support.ticket"]._support_create_invoices(se_cust, last_month, last_day)
        )
        this_month = recognise(self.today)
        self.assertEqual(this_month.date, self.today)
        self.assertEqual(by_code(this_month, se_pack), {"2970": -21000.0, "30012": 21000.0})
        self.assertFalse(recognise(self.today))
        assert_ties()

        # The German pack sale credited: the credit note takes the sale off 2970, the next run
        # reverses what the pack had recognised.
        de_credit = credit_note(de_sale)
        self.assertEqual(by_code(de_credit), {"1510": -20000.0, "2970": 20000.0})
        self.assertEqual(recognise(self.today), this_month, "the month's entry, rewritten")
        self.assertEqual(by_code(this_month, de_pack), {"2970": -2400.0, "3308": 2400.0})
        self.assertEqual(by_code(this_month, se_pack), {"2970": -21000.0, "30012": 21000.0})
        self.assertEqual(report(de_pack).deferred_amount, 0.0)
        assert_ties()

        # The books closed until the end of last month; work of last month logged since is
        # recognised on the first open day.
        domain = [("company_id", "=", company.id)]
        env["account.bank.statement"].search(domain).unlink()
        env["account.bank.statement.line"].search(domain).unlink()
        company.sudo().fiscalyear_lock_date = last_day
        work(se_cust, 1.0, last_month + relativedelta(days=20), "Late entry")
        self.assertEqual(se_pack.hours_used, 5.0)
        entry = recognise(last_day)
        self.assertEqual(entry, this_month)
        self.assertEqual(entry.date, self.month_start)
        self.assertEqual(by_code(entry, se_pack), {"2970": -20000.0, "30012": 20000.0})
        self.assertFalse(recognise(last_day))
        row = report(se_pack)
        self.assertEqual(
            (row.sold_amount, row.recognised_amount, row.deferred_amount),
            (25000.0, 5000.0, 20000.0),
        )
        self.assertEqual(report(old_pack).deferred_amount, 0.0)
        assert_ties()
