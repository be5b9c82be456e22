from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import call_kw
from odoo.tests import TransactionCase, tagged

from odoo.addons.support_contract.tests.test_mail_intake import raw_email

from .common import SupportPortalFixture

DOMAIN = "attack.example.com"


@tagged("post_install", "-at_install")
class TestAttackAsEachLogin(SupportPortalFixture, TransactionCase):
    """A fresh attack as each login: the portal Key User, a portal contact, another customer's
    contact, a consultant and an accountant call over RPC (``call_kw``, as JSON-RPC and
    XML-RPC do) what the pages do not offer them, and write to the mail gateway as someone
    else. Each path is refused with an error and leaves the records as they were."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        env = cls.env
        # Each contact its own address (the portal users were made with one for all).
        for contact, email in (
            (cls.key_a, "anna@a.example.com"),
            (cls.user_a, "arne@a.example.com"),
            (cls.user_b, "bertil@b.example.com"),
        ):
            contact.email = email
        cls.consultant = cls._user("sp_atk_consultant", "support_contract.group_support_user")
        # As the demo's accountant: invoicing, and the support team's own rights.
        cls.accountant = cls._user(
            "sp_atk_accountant",
            "account.group_account_invoice,support_contract.group_support_user",
        )
        cls.manager = cls._user("sp_atk_manager", "support_contract.group_support_manager")
        cls.attackers = (
            cls.portal_key_a,
            cls.portal_user_a,
            cls.portal_user_b,
            cls.consultant,
            cls.accountant,
        )
        # A second pack (the held work of user_a draws from it), and a colleague's billable
        # request drawing from it too.
        cls.colleague = cls._contact(cls.cust_a, "Cecilia Kollega", email="cecilia@a.example.com")
        cls.pack_a2 = cls._pack(cls.cust_a, 10.0)
        cls.ticket_colleague = cls._ticket(
            cls.colleague, cls.cat_db_correction, name="Kollegans hemliga fråga"
        )
        cls._log(cls.ticket_colleague, 1.0)
        cls.draw_colleague = cls.ticket_colleague.pack_consumption_ids
        cls.environment = env["support.environment"].create(
            {"partner_id": cls.cust_a.id, "name": "prod.a.example.com"}
        )
        cls.patch_record = env["support.patch.record"].create(
            {"environment_id": cls.environment.id, "patch_type": "odoo_source"}
        )
        cls.fee_line = env["support.agreement.fee.line"].create(
            {"agreement_id": cls.agr_a_patch.id, "name": "Patchning", "price_unit": 100.0}
        )
        cls.statement = env["support.statement"]._issue(
            cls.cust_a, cls.today.replace(day=1), cls.company
        )
        cls.statement._send()
        cls.line = cls.ticket_user_a.timesheet_ids[:1]

    def _rpc(self, user, records, method, *args, **kwargs):
        return call_kw(records.with_user(user), method, [records.ids, *args], kwargs)

    def _snapshot(self):
        """What the attacks must leave as it was."""
        records = {
            "ticket": (self.ticket_key_a, ["name", "stage_id", "coverage", "approval_state"]),
            "colleague": (self.ticket_colleague, ["name", "message_partner_ids"]),
            "agreement": (self.agr_a_maint, ["state", "date_end", "key_user_ids"]),
            "pack": (self.pack_a2, ["hours", "hours_remaining", "date_end"]),
            "draw": (self.draw_colleague, ["hours", "ticket_id"]),
            "statement": (self.statement, ["state", "version", "attachment_id"]),
            "environment": (self.environment, ["name", "active"]),
            "patch": (self.patch_record, ["result", "version_after"]),
            "fee line": (self.fee_line, ["price_unit", "quantity"]),
            "line": (self.line, ["unit_amount", "support_billing_status"]),
        }
        self.env.invalidate_all()
        return {key: record.sudo().read(fnames) for key, (record, fnames) in records.items()}

    def test_rpc_writes_refused(self):
        """Create, write and unlink on the suite's records, where no group of the login may."""
        before = self._snapshot()
        month = self.today.replace(day=1)
        suite = [
            (self.agr_a_maint, {"date_end": self.today}, {"type_id": self.type_on_demand.id}),
            (
                self.pack_a2,
                {"hours": 500.0},
                {"hours": 500.0, "date_start": month, "date_end": self.today},
            ),
            (
                self.draw_colleague,
                {"hours": 0.0},
                {
                    "pack_id": self.pack_a2.id,
                    "ticket_id": self.ticket_user_a.id,
                    "hours": -5.0,
                    "date": self.today,
                },
            ),
            (
                self.statement,
                {"state": "issued"},
                {"company_id": self.company.id, "date": month, "version": 9},
            ),
            (
                self.fee_line,
                {"price_unit": 1.0},
                {"agreement_id": self.agr_a_patch.id, "price_unit": -100.0},
            ),
        ]
        staff = [
            (
                self.ticket_key_a,
                {"name": "Omdöpt"},
                {"name": "Falsk", "partner_id": self.key_a.id, "category_id": self.cat_bug_fix.id},
            ),
            (self.environment, {"name": "hijacked.example.com"}, {"name": "evil.example.com"}),
            (
                self.patch_record,
                {"version_after": "0.0"},
                {"environment_id": self.environment.id, "patch_type": "odoo_source"},
            ),
            (
                self.line,
                {"unit_amount": 0.0},
                {"support_ticket_id": self.ticket_key_a.id, "unit_amount": 1.0, "name": "x"},
            ),
        ]
        portal = (self.portal_key_a, self.portal_user_a, self.portal_user_b)
        counts = {record._name: record.search_count([]) for record, *_ in suite + staff}
        for user in self.attackers:
            targets = suite + staff if user in portal else suite
            for record, write_vals, create_vals in targets:
                model = record._name
                if "partner_id" in record._fields and "partner_id" not in create_vals:
                    create_vals = {"partner_id": self.cust_a.id, **create_vals}
                with self.subTest(user=user.login, model=model):
                    with self.assertRaises(AccessError):
                        self._rpc(user, record, "write", write_vals)
                    with self.assertRaises(AccessError):
                        self._rpc(user, record, "unlink")
                    # (hr_timesheet checks a timesheet's employee before the rights.)
                    try:
                        call_kw(self.env[model].with_user(user), "create", [create_vals], {})
                    except AccessError:
                        pass
                    except ValidationError:
                        self.assertEqual(model, "account.analytic.line")
                    else:
                        self.fail(f"{user.login} created a {model}")
        # Where the support team may write, the engine's fields and a sent month stay refused.
        for user in (self.consultant, self.accountant):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._rpc(user, self.line, "write", {"support_billing_status": "covered"})
                with self.assertRaises(UserError):
                    self._rpc(user, self.patch_record, "write", {"version_after": "0.0"})
                for record in (self.ticket_key_a, self.environment, self.patch_record):
                    with self.assertRaises(AccessError):
                        self._rpc(user, record, "unlink")
        self.assertEqual({model: self.env[model].search_count([]) for model in counts}, counts)
        self.assertEqual(self._snapshot(), before)

    def test_rpc_public_methods_refused(self):
        """Each public method checks its caller's rights itself."""
        before = self._snapshot()
        answer = (self.ticket_user_a.approval_state, self.ticket_user_a.approval_partner_id)
        everyone = self.attackers
        staff_only = [
            (self.statement, "action_send", (), {}, everyone[:4]),
            (self.statement, "action_reissue", (), {}, everyone[:4]),
            (self.agr_a_maint, "action_close", (), {}, everyone),
            (self.agr_a_maint, "action_cancel", (), {}, everyone),
            (
                self.agr_a_patch,
                "action_waive_fee_month",
                (),
                {"month": str(self.today), "reason": "Gratis"},
                everyone,
            ),
            (
                self.ticket_user_a,
                "action_write_off_refused_hours",
                (),
                {"reason": "Bort"},
                everyone,
            ),
            (
                self.ticket_user_a,
                "action_approve_extra_hours",
                (),
                {"partner_id": self.key_a.id, "note": "Per telefon"},
                everyone[1:],
            ),
            (self.ticket_key_a, "action_portal_close", (), {}, everyone[1:]),
            (self.pack_b, "action_view_consumption", (), {}, everyone[:2]),
        ]
        for record, method, args, kwargs, users in staff_only:
            for user in users:
                with self.subTest(method=method, user=user.login):
                    with self.assertRaises(AccessError):
                        self._rpc(user, record, method, *args, **kwargs)
        # Following a request one may not read (to get its notices by e-mail): Odoo's answer is
        # False, and nobody follows.
        for user in (self.portal_user_a, self.portal_user_b):
            self.assertFalse(
                self._rpc(
                    user, self.ticket_key_a, "message_subscribe", partner_ids=user.partner_id.ids
                )
            )
            self.assertNotIn(user.partner_id, self.ticket_key_a.message_partner_ids)
        # A contact cannot post on a colleague's request to be answered there.
        with self.assertRaises(AccessError):
            self._rpc(self.portal_user_a, self.ticket_colleague, "message_post", body="Hej")
        # The service level job is the scheduler's (or a Support Manager's).
        Ticket = self.env["support.ticket"]
        for user in everyone:
            with self.subTest(method="cron_sla_escalate", user=user.login):
                with self.assertRaises(AccessError):
                    call_kw(Ticket.with_user(user), "cron_sla_escalate", [], {})
        self.assertTrue(call_kw(Ticket.with_user(self.manager), "cron_sla_escalate", [], {}))
        self.env.ref("support_contract.ir_cron_sla_escalate").ir_actions_server_id.run()
        self.assertEqual(self._snapshot(), before)
        self.assertEqual(
            (self.ticket_user_a.approval_state, self.ticket_user_a.approval_partner_id), answer
        )

    def test_colleagues_draws_unnamed(self):
        """A contact who reads only their own requests reads neither the title nor the
        reference of a colleague's request through the pack's draws: not over RPC, not on the
        packs page (which still lists the draw's hours: the balance is the customer's)."""
        Draw = self.env["support.hour.pack.consumption"]
        draws = Draw.search([("pack_id", "=", self.pack_a2.id)], order="date desc, id desc")
        self.assertEqual(draws.ticket_id, self.ticket_user_a | self.ticket_colleague)
        self.assertEqual(
            Draw.with_user(self.portal_user_a).search([("pack_id", "=", self.pack_a2.id)]),
            draws.filtered(lambda d: d.ticket_id == self.ticket_user_a),
        )
        with self.assertRaises(AccessError):
            self._rpc(self.portal_user_a, self.draw_colleague, "read", ["ticket_id"])
        for user in (self.portal_key_a, self.portal_user_a):
            values = (
                self.env["support.hour.pack"]
                .with_user(user)
                ._portal_packs_page_values(user.partner_id)
            )
            rows = dict(zip(draws, values["pack_history"][self.pack_a2.id], strict=True))
            readable = self.env["support.ticket"].with_user(user).search([])
            self.assertEqual(
                self.ticket_colleague in readable, user.partner_id._is_support_request_reader()
            )
            for draw, row in rows.items():
                reads = draw.ticket_id in readable
                self.assertEqual(row["hours"], draw.hours)
                self.assertEqual(draw.ticket_id.number in row["ticket"], reads, user.login)
                self.assertEqual(draw.ticket_id.name in row["ticket"], reads, user.login)
                self.assertEqual(bool(row["url"]), reads, user.login)
        # The Key User reads every draw, as every request.
        self.assertEqual(
            Draw.with_user(self.portal_key_a).search([("pack_id", "=", self.pack_a2.id)]), draws
        )

    def test_mail_gateway_as_someone_else(self):
        """Mail claiming to be the Key User, another customer's reply and the desk's own
        address: the gateway answers only the contacts on record and decides nothing the
        sender asks for."""
        company = self.company
        if not company.alias_domain_id:
            company.alias_domain_id = self.env["mail.alias.domain"].create({"name": DOMAIN})
        company._support_set_alias_name("support-attack")
        alias = f"support-attack@{company.alias_domain_id.name}"
        catchall = company.alias_domain_id.catchall_email
        Thread = self.env["mail.thread"]
        Ticket = self.env["support.ticket"]
        Partner = self.env["res.partner"].with_context(active_test=False)

        # A forged Key User with a Reply-To of their own: the request is the Key User's, no
        # contact is made of the forger and nothing is sent to them.
        partners = Partner.search_count([])
        forged = raw_email(
            self.key_a.email,
            "Brådskande [bug_fix]",
            to=alias,
            message_id="<forged1@evil.example.com>",
            headers=["Reply-To: attacker@evil.example.com"],
        )
        before = Ticket.search([]).ids
        Thread.message_process("support.ticket", forged)
        ticket = Ticket.search([("id", "not in", before)])
        self.assertEqual(ticket.partner_id, self.key_a)
        self.assertEqual(Partner.search_count([]), partners)
        self.assertFalse(Partner.search([("email", "ilike", "evil.example.com")]))
        self.assertFalse(self.env["mail.mail"].search([("email_to", "ilike", "evil.example.com")]))
        recipients = ticket.message_ids.notification_ids.res_partner_id
        self.assertEqual(recipients.filtered("partner_share"), self.key_a)

        # The Key User's address "approves" held work by e-mail: nothing is decided.
        held = self.ticket_user_a
        self._log(held, 8.0)  # beyond the packs: held for a Key User's approval
        self.assertEqual(held.approval_state, "pending")
        held.message_post(body="Godkänn?", message_id="<held1@desk.example.com>")
        Thread.message_process(
            "support.ticket",
            raw_email(
                self.key_a.email,
                "Re: Godkänn?",
                body="Jag godkänner",
                to=catchall,
                message_id="<held2@evil.example.com>",
                in_reply_to="<held1@desk.example.com>",
            ),
        )
        self.assertIn("Jag godkänner", held.message_ids[0].body)
        self.assertEqual(held.approval_state, "pending")
        self.assertFalse(held.approval_partner_id)

        # Another customer's reply to the catchall: its own ticket, nothing on this one.
        messages = held.message_ids
        before = Ticket.search([]).ids
        Thread.message_process(
            "support.ticket",
            raw_email(
                self.user_b.email,
                "Re: Godkänn?",
                body="Från kund B",
                to=catchall,
                message_id="<held3@b.example.com>",
                in_reply_to="<held1@desk.example.com>",
            ),
        )
        new = Ticket.search([("id", "not in", before)])
        self.assertEqual(new.partner_id, self.user_b)
        self.assertEqual(held.message_ids, messages)
        self.assertNotIn(self.user_b, held.message_partner_ids)

        # The desk's own address answering itself: a loop, dropped.
        before = Ticket.search([]).ids
        Thread.message_process(
            "support.ticket",
            raw_email(
                alias,
                "Re: Godkänn?",
                body="Loop",
                to=catchall,
                message_id="<held4@desk.example.com>",
                in_reply_to="<held1@desk.example.com>",
            ),
        )
        self.assertEqual(Ticket.search([]).ids, before)
        self.assertEqual(held.message_ids, messages)

    def test_former_key_user_told_no_more(self):
        """A Key User who followed all the customer's requests and its packs is told no more of
        a colleague's request, nor of the packs, once their agreement has ended; the requester
        still is."""
        Partner = self.env["res.partner"]
        Partner.with_user(self.portal_key_a)._portal_set_follow_all(True)
        ticket = self.ticket_colleague
        self.assertIn(self.key_a, ticket.message_partner_ids)
        self.pack_a2._support_notify_customer("low")
        self.assertIn(self.key_a, self.pack_a2.message_partner_ids)

        def told(record):
            return record.message_ids[:1].notification_ids.res_partner_id

        def answer():
            ticket.with_user(self.consultant).message_post(
                body="Svar", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            return told(ticket)

        self.assertEqual(answer() & (self.key_a | self.colleague), self.key_a | self.colleague)
        self.agr_a_maint.action_close()
        self.agr_a_maint.date_end = self.today - relativedelta(days=1)
        self.assertFalse(self.key_a._is_support_request_reader())
        self.assertNotIn(ticket, self.env["support.ticket"].with_user(self.portal_key_a).search([]))
        self.assertEqual(answer() & (self.key_a | self.colleague), self.colleague)
        self.pack_a2._support_notify_customer("expiry")
        self.assertNotIn(self.key_a, told(self.pack_a2))
        self.assertNotIn(self.key_a, self.pack_a2.message_partner_ids)
