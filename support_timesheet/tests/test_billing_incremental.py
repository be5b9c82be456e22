from contextlib import nullcontext

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError

from odoo.addons.support_timesheet.models.support_ticket import HOURS_SUMS

from .common import SupportTimesheetCase

# Queries of logging one line of time on a ticket (billable, drawing from a pack), the commit's
# pre-commit work included: a plain hr_timesheet line on a task takes 24.
LOGGING_QUERIES = 25


class TestBillingIncremental(SupportTimesheetCase):
    """Logging a line after all the others bills just it, exactly as the full pass would."""

    def _state(self, ticket):
        """Everything the engine decides for the ticket, to compare two passes."""
        self.env.invalidate_all()
        lines = ticket.timesheet_ids.sorted("id")
        draws = self.env["support.hour.pack.consumption"].search([("ticket_id", "=", ticket.id)])
        return {
            "lines": [
                (
                    line.support_billing_status,
                    round(line.support_billed_hours, 4),
                    round(line.support_pack_hours, 4),
                )
                for line in lines
            ],
            "draws": sorted(
                (d.timesheet_id.id, d.pack_id.id, round(d.hours, 4), str(d.date)) for d in draws
            ),
            "ticket": {
                name: ticket[name]
                for name in (
                    "hours_logged",
                    "hours_billed",
                    "hours_extra",
                    "hours_from_pack",
                    "hours_to_invoice",
                    "hours_extra_to_invoice",
                    "hours_held",
                    "approval_state",
                )
            },
        }

    def assertSameAsFullPass(self, ticket):
        logged = self._state(ticket)
        ticket._support_recompute_billing()
        self.assertEqual(logged, self._state(ticket), "the full pass bills the ticket otherwise")

    def test_appended_lines_bill_as_the_full_pass(self):
        """Through the minimum drawn from the pack, the pack running out and hourly time."""
        self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        steps = ((0.25, "pack"), (0.5, "pack"), (0.5, "to_invoice"), (1, "to_invoice"))
        for hours, status in steps:
            line = self._log(ticket, hours)
            self.assertEqual(line.support_billing_status, status)
            self.assertSameAsFullPass(ticket)
        self.assertEqual(ticket.hours_from_pack, 1.0)
        self.assertEqual(ticket.hours_to_invoice, 1.25)

    def test_appended_lines_of_a_cost_controlled_customer_are_held(self):
        self.cust_b.support_cost_control = True
        self._pack(self.cust_b, 0.5)
        ticket = self._ticket(self.contact_b)
        self._log(ticket, 0.25)  # the minimum (0.5 h) takes the rest of the pack
        self.assertSameAsFullPass(ticket)
        line = self._log(ticket, 0.75)
        self.assertEqual(line.support_billing_status, "held")
        self.assertEqual(ticket.approval_state, "pending")
        self.assertEqual(ticket.hours_held, 0.5)
        self.assertSameAsFullPass(ticket)

    def test_appended_after_invoiced_time(self):
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 0.25)
        self._invoice()  # 0.5 h: the minimum is invoiced with the first line
        line = self._log(ticket, 0.5)
        # The minimum already invoiced settles 0.25 h of the new line.
        self.assertEqual(line.support_billing_status, "to_invoice")
        self.assertEqual(line.support_billed_hours, 0.25)
        self.assertSameAsFullPass(ticket)
        line = self._log(ticket, 0.5)
        self.assertEqual(line.support_billed_hours, 0.5)
        self.assertSameAsFullPass(ticket)

    def test_lines_on_tickets_and_tasks_in_one_batch(self):
        """A batch may mix support time and plain project time."""
        ticket = self._ticket(self.contact_a)
        self._log(ticket, 1.0)
        project = self.env["project.project"].create({"name": "Internal"})
        task = self.env["project.task"].create({"name": "Internal work", "project_id": project.id})
        support, plain = (
            self.env["account.analytic.line"]
            .with_user(self.consultant)
            .create(
                [
                    {"support_ticket_id": ticket.id, "unit_amount": 0.5, "name": "Work"},
                    {"task_id": task.id, "project_id": project.id, "unit_amount": 2, "name": "Own"},
                ]
            )
        )
        self.assertEqual(support.support_billing_status, "to_invoice")
        self.assertEqual(plain.support_billing_status, "none")
        self.assertEqual(ticket.hours_logged, 1.5)
        self.assertSameAsFullPass(ticket)

    def test_backdated_line_rebills_the_ticket(self):
        """A line dated before the ticket's last line takes its place in the draw order."""
        self._pack(self.cust_a, 1.0)
        ticket = self._ticket(self.contact_a)
        later = self._log(ticket, 1.0, date=self.month_start + relativedelta(days=5))
        self.assertEqual(later.support_billing_status, "pack")
        earlier = self._log(ticket, 1.0, date=self.month_start)
        self.assertEqual(earlier.support_billing_status, "pack")
        self.assertEqual(later.support_billing_status, "to_invoice")
        self.assertSameAsFullPass(ticket)

    def test_logging_costs_the_same_queries_on_a_long_ticket(self):
        """The first line of a request, and a line on a ticket with 10 or 300 lines: the same
        queries, within a fixed budget (a plain hr_timesheet line on a task takes 24)."""
        self._pack(self.cust_a, 1000.0)
        ticket = self._ticket(self.contact_a)
        new_tickets = [self._ticket(self.contact_a) for _i in range(3)]

        def add_lines(count):
            self.env["account.analytic.line"].with_user(self.consultant).create(
                [
                    {
                        "support_ticket_id": ticket.id,
                        "unit_amount": 0.25,
                        "name": "Work",
                        "date": self.month_start,
                    }
                    for _i in range(count)
                ]
            )

        def queries_of_one_line(target, warm_up=False):
            self.env.invalidate_all()
            with nullcontext() if warm_up else self.assertQueryCount(LOGGING_QUERIES):
                self.env.flush_all()
                self.env.cr.flush()
                before = self.env.cr.sql_log_count
                self._log(target, 0.5)
                self.env.flush_all()
                self.env.cr.flush()
                return self.env.cr.sql_log_count - before

        add_lines(10)
        queries_of_one_line(new_tickets[0], warm_up=True)
        first = queries_of_one_line(new_tickets[1])
        with_10 = queries_of_one_line(ticket)
        add_lines(300)
        with_300 = queries_of_one_line(ticket)
        self.assertEqual(
            [first, with_10, with_300],
            [first] * 3,
            "logging a line costs more queries on a long ticket than on a new one",
        )
        # Nor does it read the ticket's other lines.
        others = ticket.timesheet_ids
        self.env.invalidate_all()
        self._log(ticket, 0.5)
        self.env.flush_all()
        cache = self.env["account.analytic.line"]._fields["unit_amount"]._get_cache(self.env)
        self.assertFalse(set(others.ids) & set(cache), "logging a line read the other lines")
        self.assertSameAsFullPass(ticket)
        self.assertSameAsFullPass(new_tickets[1])


class TestSavedSums(SupportTimesheetCase):
    """The engine saves the tickets' sums of lines and draws and the packs' balances with its
    draws instead of adding them up again: what it saves is what their computes give, after
    every kind of change, and nobody else writes a pack's balance."""

    def assertSavedAsComputed(self, tickets, packs):
        self.env.flush_all()
        for records, fnames in (
            (tickets, HOURS_SUMS),
            (packs, ("hours_used", "hours_remaining")),
        ):
            self.env.invalidate_all()
            saved = [[round(record[fname], 4) for fname in fnames] for record in records]
            for fname in fnames:
                self.env.add_to_compute(records._fields[fname], records)
            computed = [[round(record[fname], 4) for fname in fnames] for record in records]
            self.assertEqual(saved, computed, f"saved {fnames} differ from their computes")

    def test_saved_sums_are_the_computed_sums(self):
        pack = self._pack(self.cust_a, 2.0)
        tickets = self._ticket(self.contact_a) | self._ticket(self.contact_a)
        first, second = tickets
        day = self.month_start + relativedelta(days=3)
        steps = [
            ("the first line, under the minimum", lambda: self._log(first, 0.25, date=day)),
            ("more lines until the pack runs out", lambda: self._log(first, 1.5, date=day)),
            ("hourly time", lambda: self._log(first, 1.0, date=day)),
            ("a backdated line", lambda: self._log(first, 0.5, date=self.month_start)),
            (
                "a batch on two tickets",
                lambda: self.env["account.analytic.line"]
                .with_user(self.consultant)
                .create(
                    [
                        {"support_ticket_id": t.id, "unit_amount": 0.75, "name": "Batch"}
                        for t in (first, second, first)
                    ]
                ),
            ),
            ("hours changed", lambda: first.timesheet_ids[:1].write({"unit_amount": 2.0})),
            (
                "a line moved to the other ticket",
                lambda: first.timesheet_ids[-1:].write({"support_ticket_id": second.id}),
            ),
            ("a line deleted", lambda: first.timesheet_ids[:1].unlink()),
            ("invoiced", self._invoice),
            ("logged after the invoice", lambda: self._log(second, 0.25)),
            ("the pack grown", lambda: pack.write({"hours": 10.0})),
            ("logged on the grown pack", lambda: self._log(second, 1.0)),
        ]
        for label, step in steps:
            with self.subTest(label):
                step()
                self.assertSavedAsComputed(tickets, pack)
        self.assertGreater(pack.hours_used, 2.0)
        self.assertGreater(first.hours_from_pack, 0.0)

    def test_nobody_writes_a_pack_balance(self):
        """Not even a Support Manager, who may edit the pack itself."""
        pack = self._pack(self.cust_a, 5.0)
        self._log(self._ticket(self.contact_a), 1.0)
        manager = self._user("st_sums_manager", "support_contract.group_support_manager")
        for fname in ("hours_remaining", "hours_used"):
            with self.subTest(fname), self.assertRaises(AccessError):
                pack.with_user(manager).write({fname: 0.0 if fname == "hours_used" else 50.0})
        pack.invalidate_recordset()
        self.assertEqual((pack.hours_used, pack.hours_remaining), (1.0, 4.0))
        pack.with_user(manager).write({"hours": 6.0})
        self.assertEqual((pack.hours_used, pack.hours_remaining), (1.0, 5.0))
