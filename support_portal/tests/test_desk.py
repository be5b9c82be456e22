from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.support_contract.tests.test_mail_intake import raw_email

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestDesk(SupportPortalFixture, TransactionCase):
    """Notifications, colleagues, attachments, close and reopen, following all requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()
        cls.env["res.lang"]._activate_lang("sv_SE")
        cls.env["ir.module.module"]._load_module_terms(
            ["support_contract", "support_timesheet", "support_portal"], ["sv_SE"]
        )
        # new_test_user gave the portal contacts addresses of their own: set the real ones.
        cls.key_a.email = "anna@a.example.com"
        cls.user_b.email = "bertil@b.example.com"
        cls.key_a.lang = "sv_SE"
        cls.user_a.lang = "en_US"
        cls.user_b.lang = "en_US"
        cls.colleague_a = cls.env["res.partner"].create(
            {"name": "Astrid Kollega", "parent_id": cls.cust_a.id, "email": "astrid@a.example.com"}
        )
        cls.colleague_b = cls.env["res.partner"].create(
            {"name": "Britt Kollega", "parent_id": cls.cust_b.id, "email": "britt@b.example.com"}
        )
        cls.stage_resolved = cls.env.ref("support_contract.stage_resolved")
        cls.subtype = {
            kind: cls.env.ref(f"support_portal.mt_ticket_{kind}")
            for kind in ("received", "billable", "approval", "resolved")
        }
        company = cls.company
        if not company.alias_domain_id:
            company.alias_domain_id = cls.env["mail.alias.domain"].create(
                {"name": "desk-portal.example.com"}
            )
        company._support_set_alias_name("support-portal-test")
        cls.alias_email = company.support_alias_id.alias_full_name

    def _notices(self, ticket, kind):
        return ticket.message_ids.filtered(lambda m: m.subtype_id == self.subtype[kind])

    def _recipients(self, message):
        """Customers notified of `message` (the support team may follow too)."""
        partners = message.notification_ids.res_partner_id
        return partners.filtered(lambda p: not p.user_ids or all(p.user_ids.mapped("share")))

    def _request(self, user, **values):
        Ticket = self.env["support.ticket"].with_user(user)
        return Ticket._portal_create_request(
            {
                "category_id": self.cat_bug_fix.id,
                "name": "Rapporten visar fel",
                "description": "Momsen blir fel",
                "charge_accepted": "1",
                **values,
            }
        )

    # --- Acknowledgement ----------------------------------------------------------------------
    def _upload(self, user, name, raw):
        """A file uploaded by `user` in the new-request form: Odoo's pending attachment, with
        the ownership token the upload route hands to the browser."""
        attachment = (
            self.env["support.ticket"].with_user(user)._portal_upload_pending_attachment(name, raw)
        )
        return attachment, attachment._get_ownership_token()

    def _files(self, *uploads):
        return {
            "attachment_ids": [str(attachment.id) for attachment, _token in uploads],
            "attachment_tokens": [token for _attachment, token in uploads],
        }

    def test_portal_request_with_attachment_priority_and_colleague(self):
        upload = self._upload(self.portal_user_b, "skärmbild.png", b"\x89PNG data")
        self.assertEqual(upload[0].res_model, "mail.compose.message", "pending, as Odoo's")
        self.assertFalse(upload[0].res_id)
        ticket = self._request(
            self.portal_user_b,
            priority="2",
            cc_partner_ids=[str(self.colleague_b.id)],
            **self._files(upload),
        )
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.intake_channel, "portal")
        self.assertEqual(
            self.env["ir.attachment"]
            .search([("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)])
            .mapped("name"),
            ["skärmbild.png"],
        )
        # On the requester's message, so the customer sees it in the portal.
        self.assertEqual(ticket._portal_visible_attachments().mapped("name"), ["skärmbild.png"])
        self.assertIn(self.colleague_b, ticket.message_partner_ids)
        ack = self._notices(ticket, "received")
        self.assertEqual(len(ack), 1)
        # English requester: English notice, reference, decision, cost terms and a portal link.
        self.assertIn(f"We have received your request {ticket.number}", ack.body)
        self.assertIn("Billable", ack.body)
        self.assertIn(f"drawn from your prepaid pack {self.pack_b.name}", ack.body)
        self.assertIn("per hour", ack.body)
        self.assertIn(f"/my/support/tickets/{ticket.id}", ack.body)
        self.assertIn(ticket.number, ack.subject)
        recipients = self._recipients(ack)
        self.assertEqual(recipients, self.user_b | self.colleague_b)

    def test_acknowledgement_in_swedish(self):
        ticket = self._request(self.portal_key_a)
        ack = self._notices(ticket, "received")
        self.assertIn(f"Vi har tagit emot ditt ärende {ticket.number}", ack.body)
        self.assertIn("Täckt", ack.body)
        self.assertIn("mottaget", ack.subject)
        self.assertEqual(self._recipients(ack), self.key_a)

    def test_refused_colleague_and_attachment(self):
        count = self.env["support.ticket"].search_count([])
        with self.assertRaisesRegex(UserError, "own company"):
            self._request(self.portal_user_a, cc_partner_ids=[str(self.user_b.id)])
        with self.assertRaisesRegex(UserError, "not accepted"):
            self._upload(self.portal_user_a, "virus.exe", b"MZ")
        with self.assertRaisesRegex(UserError, "priority"):
            self._request(self.portal_user_a, priority="9")
        self.assertEqual(self.env["support.ticket"].search_count([]), count)

    def test_only_own_pending_uploads_are_linked(self):
        Attachment = self.env["ir.attachment"]
        Ticket = self.env["support.ticket"]
        theirs = self._upload(self.portal_user_b, "kundB.txt", b"secret of B")
        mine = self._upload(self.portal_user_a, "mine.txt", b"mine")
        count = Ticket.search_count([])
        forged = [
            # Another customer's upload: its id without a token, with a made-up token, with
            # the uploader's token beside one of mine (tokens swapped).
            {"attachment_ids": [str(theirs[0].id)], "attachment_tokens": [""]},
            {"attachment_ids": [str(theirs[0].id)], "attachment_tokens": ["forged"]},
            {
                "attachment_ids": [str(mine[0].id), str(theirs[0].id)],
                "attachment_tokens": [theirs[1], mine[1]],
            },
            # Ids without their tokens, an id that is no number.
            {"attachment_ids": [str(mine[0].id)], "attachment_tokens": []},
            {"attachment_ids": ["x"], "attachment_tokens": ["x"]},
        ]
        for files in forged:
            with self.subTest(files=files), self.assertRaisesRegex(UserError, "rights"):
                self._request(self.portal_user_a, **files)
        # Someone else's token does not make it mine: the upload of B with B's token.
        with self.assertRaisesRegex(UserError, "rights"):
            self._request(self.portal_user_a, **self._files(theirs))
        self.assertEqual(Ticket.search_count([]), count, "no request created")
        for attachment, _token in (theirs, mine):
            self.assertEqual(attachment.res_model, "mail.compose.message", "nothing linked")
            self.assertFalse(attachment.res_id)
        # My own upload with its token is linked, once.
        ticket = self._request(self.portal_user_a, **self._files(mine))
        self.assertEqual(
            Attachment.search([("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]),
            mine[0],
        )
        self.assertEqual(ticket._portal_visible_attachments(), mine[0])
        with self.assertRaisesRegex(UserError, "rights"):
            self._request(self.portal_user_a, name="Igen", **self._files(mine))
        self.assertEqual(mine[0].res_id, ticket.id, "an attached file is not moved")

    def test_upload_checks(self):
        Attachment = self.env["ir.attachment"]
        count = Attachment.search_count([])
        with self.assertRaisesRegex(UserError, "files of type .exe are not accepted"):
            self._upload(self.portal_user_a, "setup.exe", b"MZ")
        self.assertEqual(Attachment.search_count([]), count)
        # Odoo's content check: active content from a customer is kept as plain text.
        page, _token = self._upload(self.portal_user_a, "sida.html", b"<script>alert(1)</script>")
        self.assertEqual(page.mimetype, "text/plain")
        public = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            self._upload(public, "anon.txt", b"x")

    def test_email_request_acknowledged_to_requester_and_copied_colleague(self):
        raw = raw_email(
            "Anna Nyckel <anna@a.example.com>",
            "Utskriften av fakturor blir fel på måndagar [bug_fix]",
            to=self.alias_email,
            attachments=[("logg.txt", b"ERROR 42")],
        )
        raw = raw.replace(
            f"To: {self.alias_email}",
            f"To: {self.alias_email}\r\nCc: astrid@a.example.com, bertil@b.example.com",
        )
        thread_id = self.env["mail.thread"].message_process("support.ticket", raw)
        ticket = self.env["support.ticket"].browse(thread_id)
        self.assertEqual(ticket.name, "Utskriften av fakturor blir fel på måndagar [bug_fix]")
        self.assertEqual(ticket.partner_id, self.key_a, ticket.review_note)
        ack = self._notices(ticket, "received")
        self.assertIn("Vi har tagit emot ditt ärende", ack.body)
        # The colleague of the same customer is copied; the other customer's contact is not.
        self.assertEqual(self._recipients(ack), self.key_a | self.colleague_a)
        self.assertNotIn(self.user_b, ticket.message_partner_ids)

    def test_automated_mail_not_acknowledged(self):
        raw = raw_email(
            "Anna Nyckel <anna@a.example.com>",
            "Frånvaro: Utskriften [bug_fix]",
            to=self.alias_email,
            headers=["Auto-Submitted: auto-replied"],
        )
        ticket = self.env["support.ticket"].browse(
            self.env["mail.thread"].message_process("support.ticket", raw)
        )
        self.assertEqual(ticket.partner_id, self.key_a)
        self.assertFalse(self._notices(ticket, "received"), "no ping-pong with an auto-reply")
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", ticket._name), ("res_id", "=", ticket.id)])
        )
        self.assertNotIn(self.key_a, mails.recipient_ids, "no mail back to the sender")
        # A person's e-mail is acknowledged.
        raw = raw_email(
            "Anna Nyckel <anna@a.example.com>", "Utskriften [bug_fix]", to=self.alias_email
        )
        ticket = self.env["support.ticket"].browse(
            self.env["mail.thread"].message_process("support.ticket", raw)
        )
        self.assertEqual(len(self._notices(ticket, "received")), 1)

    def test_unknown_sender_acknowledged_alone(self):
        raw = raw_email("stranger@nowhere.example.com", "Hjälp", to=self.alias_email)
        ticket = self.env["support.ticket"].browse(
            self.env["mail.thread"].message_process("support.ticket", raw)
        )
        ack = self._notices(ticket, "received")
        self.assertEqual(self._recipients(ack), ticket.partner_id)
        self.assertIn("Decision pending", ack.body)

    # --- Changes that cost money, approval, resolution ----------------------------------------
    def test_billable_and_resolved_notices(self):
        ticket = self._request(self.portal_key_a)
        self.assertEqual(ticket.coverage, "covered")
        # Resolved with no code error: billable, told in the resolution notice.
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "no_code_error"})
        self.assertEqual(ticket.coverage, "billable")
        self.assertFalse(self._notices(ticket, "billable"))
        resolved = self._notices(ticket, "resolved")
        self.assertIn("löst", resolved.body)
        self.assertIn("Debiterade timmar", resolved.body)
        self.assertEqual(self._recipients(resolved), self.key_a)
        # An agreement change turns a covered request billable: the customer is told.
        other = self._request(self.portal_key_a, name="Annan bugg")
        self.agr_a_maint.key_user_ids = [(5, 0, 0)]
        self.assertEqual(other.coverage, "billable")
        notice = self._notices(other, "billable")
        self.assertEqual(len(notice), 1)
        self.assertIn("debiterbart", notice.body)

    def test_approval_notice(self):
        ticket = self.ticket_user_a
        self.assertEqual(ticket.approval_state, "pending")
        notice = self._notices(ticket, "approval")
        self.assertEqual(len(notice), 1)
        self.assertIn("approval of a Key User", notice.body)
        self.assertIn(f"/my/support/tickets/{ticket.id}", notice.body)
        self.assertEqual(self._recipients(notice), self.user_a)

    def test_unfollowed_subtype_is_not_sent(self):
        ticket = self._request(self.portal_user_a)
        ticket.message_subscribe(
            partner_ids=self.user_a.ids,
            subtype_ids=(self.env.ref("mail.mt_comment") | self.subtype["received"]).ids,
        )
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        self.assertFalse(self._recipients(self._notices(ticket, "resolved")))

    def test_consultant_answer_reaches_the_customer(self):
        ticket = self._request(self.portal_user_b, cc_partner_ids=[str(self.colleague_b.id)])
        consultant = self.env["res.users"].create(
            {
                "name": "Konsult Svar",
                "login": "desk_consultant",
                "email": "konsult@cloudworkz.example.com",
                "group_ids": [(6, 0, self.env.ref("support_contract.group_support_user").ids)],
            }
        )
        message = ticket.with_user(consultant).message_post(
            body="Vi tittar på det.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertEqual(self._recipients(message), self.user_b | self.colleague_b)
        customers = self.user_b | self.colleague_b
        notifications = message.notification_ids.filtered(lambda n: n.res_partner_id in customers)
        self.assertEqual(set(notifications.mapped("notification_type")), {"email"})

    # --- Close and reopen ---------------------------------------------------------------------
    def test_close_and_reopen(self):
        ticket = self.ticket_key_a
        ticket.with_user(self.portal_key_a).action_portal_close()
        self.assertTrue(ticket.is_closed)
        self.assertEqual(ticket.outcome, "other")
        ticket.with_user(self.portal_key_a).action_portal_reopen()
        self.assertFalse(ticket.is_closed)
        self.assertFalse(ticket.outcome)
        # After the window: no reopening, a new request.
        ticket.with_user(self.portal_key_a).action_portal_close()
        ticket.date_resolved = fields.Datetime.now() - timedelta(
            days=self.company.support_reopen_days + 1
        )
        with self.assertRaisesRegex(UserError, "new request"):
            ticket.with_user(self.portal_key_a).action_portal_reopen()
        self.assertTrue(ticket.is_closed)

    def test_portal_reply_reopens_within_window(self):
        ticket = self.ticket_key_a
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        ticket.with_user(self.portal_key_a).message_post(
            body="Felet är tillbaka", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.assertFalse(ticket.is_closed)

    def test_close_reopen_other_customer_refused(self):
        ticket = self.ticket_key_a
        for method in ("action_portal_close", "action_portal_reopen"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(ticket.with_user(self.portal_user_b), method)()
        self.assertFalse(ticket.is_closed)
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        with self.assertRaises(AccessError):
            ticket.with_user(self.portal_user_b).action_portal_reopen()
        self.assertTrue(ticket.is_closed)

    # --- Key Users follow all -----------------------------------------------------------------
    def test_key_user_follows_all(self):
        Partner = self.env["res.partner"]
        with self.assertRaises(AccessError):
            Partner.with_user(self.portal_user_a)._portal_set_follow_all(True)
        self.assertFalse(self.user_a.support_follow_all)
        Partner.with_user(self.portal_key_a)._portal_set_follow_all(True)
        self.assertIn(self.key_a, self.ticket_user_a.message_partner_ids)
        self.assertNotIn(self.key_a, self.ticket_b.message_partner_ids)
        new = self._request(self.portal_user_a, name="Ny fråga")
        ack = self._notices(new, "received")
        self.assertEqual(self._recipients(ack), self.user_a | self.key_a)
        Partner.with_user(self.portal_key_a)._portal_set_follow_all(False)
        self.assertNotIn(self.key_a, new.message_partner_ids)

    # --- Packs ----------------------------------------------------------------------------------
    def _pack_notices(self, pack):
        subtype = self.env.ref("support_portal.mt_pack_notice")
        return pack.message_ids.filtered(lambda m: m.subtype_id == subtype)

    def test_pack_running_low_notice(self):
        self.cust_a.support_pack_warning_hours = 1.5
        # The held work of customer A draws from a new pack at once: it runs low.
        pack = self._pack(self.cust_a, 2.0)
        self.assertLessEqual(pack.hours_remaining, 1.5)
        notice = self._pack_notices(pack)
        self.assertEqual(len(notice), 1)
        self.assertIn(pack.name, notice.body)
        self.assertIn("fylla på", notice.body, "Swedish, the Key User's language")
        self.assertEqual(self._recipients(notice), self.key_a)
        # One notice only: no other message of the pack reaches anyone of the customer.
        customer = self.cust_a | self.env["res.partner"].search(
            [("id", "child_of", self.cust_a.id)]
        )
        reaching = pack.message_ids.filtered(
            lambda m: (m.partner_ids | m.notification_ids.res_partner_id) & customer
        )
        self.assertEqual(reaching, notice)
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", pack._name), ("res_id", "=", pack.id)])
        )
        self.assertEqual(mails.recipient_ids & customer, self.key_a)
        self.assertEqual(len(mails.filtered(lambda m: m.recipient_ids & customer)), 1)

    def test_pack_expiry_notice(self):
        pack = self.env["support.hour.pack"].create(
            {
                "partner_id": self.cust_a.id,
                "hours": 5.0,
                "date_start": self.year_ago,
                "date_end": self.today + timedelta(days=10),
                "company_id": self.company.id,
            }
        )
        far = self._pack(self.cust_a, 5.0)
        Pack = self.env["support.hour.pack"]
        Pack._cron_support_pack_expiry_notices()
        Pack._cron_support_pack_expiry_notices()
        # (The held work of customer A drew from the new pack: it may also be running low.)
        notice = self._pack_notices(pack).filtered(lambda m: "går ut" in m.body)
        self.assertEqual(len(notice), 1, "told once")
        self.assertIn(pack.name, notice.body)
        self.assertEqual(self._recipients(notice), self.key_a)
        self.assertFalse(self._pack_notices(far).filtered(lambda m: "går ut" in m.body))
