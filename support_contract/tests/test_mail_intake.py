import base64
import copy
import email
import email.policy
from datetime import timedelta
from email.header import Header
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import SupportCase

ALIAS = "support-test"
DOMAIN = "desk.example.com"


def raw_email(
    email_from,
    subject,
    body="Hej,\nfakturan skrivs ut med fel moms.\nMvh",
    to=None,
    message_id=None,
    in_reply_to=None,
    attachments=(),
    headers=(),
):
    """A raw RFC 822 message as a mail server hands it to Odoo (multipart, RFC 2047 subject);
    `headers`: extra header lines (e.g. ``Auto-Submitted: auto-replied``)."""
    boundary = "----=_support_test_boundary"
    message_id = message_id or f"<{abs(hash((email_from, subject, body)))}@client.example>"
    extra = list(headers)
    headers = [
        f"From: {email_from}",
        f"To: {to}",
        f"Subject: {Header(subject, 'utf-8').encode()}" if subject else "Subject: ",
        f"Message-ID: {message_id}",
        "Date: Fri, 27 Nov 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    headers += extra
    parts = [
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(body.encode()).decode()}\r\n"
    ]
    for name, content in attachments:
        parts.append(
            f'--{boundary}\r\nContent-Type: application/octet-stream; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(content).decode()}\r\n"
        )
    return "\r\n".join(headers) + "\r\n\r\n" + "".join(parts) + f"--{boundary}--\r\n"


@tagged("post_install", "-at_install")
class TestMailIntake(SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.company.alias_domain_id:
            cls.company.alias_domain_id = cls.env["mail.alias.domain"].create({"name": DOMAIN})
        cls.company._support_set_alias_name(ALIAS)
        cls.alias_email = f"{ALIAS}@{cls.company.alias_domain_id.name}"
        cls.company.support_reopen_days = 7
        cls.maint_key.email = "karin@underhall.example.com"
        cls.patch_contact = cls.contact[cls.cust_patch]
        cls.patch_contact.email = "kontakt@patch.example.com"
        cls.Ticket = cls.env["support.ticket"]

    def _raw(self, *args, **kwargs):
        return raw_email(*args, to=self.alias_email, **kwargs)

    def _reply(self, body, message_id, in_reply_to, sender=None, subject="Re: Tråd"):
        """A reply ``<message_id@client.example>`` to ``<in_reply_to@client.example>``, from the
        maintenance Key User unless ``sender``."""
        return self._raw(
            sender or self.maint_key.email,
            subject,
            body=body,
            message_id=f"<{message_id}@client.example>",
            in_reply_to=f"<{in_reply_to}@client.example>",
        )

    def _process(self, raw):
        return self.env["mail.thread"].message_process("support.ticket", raw)

    def _ticket_from(self, raw):
        before = self.Ticket.search([]).ids
        self._process(raw)
        return self.Ticket.search([("id", "not in", before)])

    def test_alias_settings(self):
        alias = self.company.support_alias_id
        self.assertEqual(alias.alias_full_name, self.alias_email)
        self.assertEqual(alias.alias_model_id.model, "support.ticket")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.support_alias_name, ALIAS)
        settings.support_alias_name = "helpdesk-test"
        settings.execute()
        self.assertEqual(self.company.support_alias_id.alias_name, "helpdesk-test")
        self.assertEqual(self.company.support_alias_id, alias, "renamed, not replaced")

    def test_new_request_from_known_contact(self):
        subject = "Fakturautskrift på svenska: momsen blir fel (åäö)"
        ticket = self._ticket_from(
            self._raw(
                "Karin Nyckel <karin@underhall.example.com>",
                subject + " [bug_fix]",
                attachments=[("skärmbild.png", b"\x89PNG fake image"), ("logg.txt", b"ERROR")],
            )
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.name, subject + " [bug_fix]")
        self.assertIn("fel moms", ticket.description)
        self.assertEqual(ticket.partner_id, self.maint_key)
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.intake_channel, "email")
        self.assertFalse(ticket.is_requester_to_confirm)
        self.assertFalse(ticket.review_note)
        self.assertEqual(ticket.category_id, self.cat["bug_fix"])
        # The decision follows as for any request: a Key User's bug fix is covered.
        self.assertEqual(ticket.coverage, "covered")
        self.assertEqual(ticket.coverage_agreement_id, self.agr_maint)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(sorted(attachments.mapped("name")), ["logg.txt", "skärmbild.png"])
        message = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(message.author_id, self.maint_key)
        self.assertEqual(message.attachment_ids, attachments)
        self.assertIn(self.maint_key, ticket.message_partner_ids, "the requester follows it")

    def test_unclear_category_goes_to_classify(self):
        ticket = self._ticket_from(self._raw(self.maint_key.email, "Något fungerar inte"))
        self.assertFalse(ticket.category_id)
        self.assertFalse(ticket.coverage)
        self.assertEqual(ticket.coverage_reason, "Decision pending: choose the service category.")
        queue = self.env.ref("support_contract.support_ticket_action_to_classify")
        self.assertIn(ticket, self.Ticket.search(safe_eval(queue.domain)))
        ticket.category_id = self.cat["bug_fix"]
        self.assertEqual(ticket.coverage, "covered")
        with self.assertRaises(ValidationError):
            ticket.category_id = False
        self.assertEqual(ticket.category_id, self.cat["bug_fix"])

    def test_unknown_sender(self):
        ticket = self._ticket_from(
            self._raw("Okänd Person <okand@nowhere.example.com>", "Hjälp [bug_fix]")
        )
        partner = ticket.partner_id
        self.assertEqual(partner.email, "okand@nowhere.example.com")
        self.assertEqual(partner.name, "Okänd Person")
        self.assertFalse(partner.parent_id)
        self.assertTrue(ticket.is_requester_to_confirm)
        self.assertIn("not a known contact", ticket.review_note)
        self.assertEqual(ticket.coverage, "billable")
        self.assertFalse(ticket.coverage_agreement_id)
        self.assertIn("not yet attached to a customer", ticket.coverage_reason)
        # The consultant attaches the new contact to its customer: decided as for any change.
        partner.parent_id = self.cust_maint
        self.agr_maint.key_user_ids = [(4, partner.id)]
        self.assertFalse(ticket.is_requester_to_confirm)
        self.assertEqual(ticket.coverage, "covered")
        # A second e-mail of the same sender now finds the attached contact.
        second = self._ticket_from(self._raw("okand@nowhere.example.com", "Igen [bug_fix]"))
        self.assertEqual(second.partner_id, partner)
        self.assertFalse(second.is_requester_to_confirm)

    def test_address_of_several_customers(self):
        self.env["res.partner"].create(
            {"name": "Delad", "email": "delad@example.com", "parent_id": self.cust_patch.id}
        )
        self.env["res.partner"].create(
            {"name": "Delad", "email": "delad@example.com", "parent_id": self.cust_maint.id}
        )
        ticket = self._ticket_from(self._raw("delad@example.com", "Vem är jag [bug_fix]"))
        self.assertFalse(ticket.partner_id.parent_id, "attached to no customer")
        self.assertTrue(ticket.is_requester_to_confirm)
        self.assertIn("several customers", ticket.review_note)
        self.assertIn(self.cust_patch.name, ticket.review_note)
        self.assertIn(self.cust_maint.name, ticket.review_note)
        self.assertEqual(ticket.coverage, "billable")

    def test_empty_subject_and_body(self):
        ticket = self._ticket_from(self._raw(self.maint_key.email, "", body=" "))
        self.assertEqual(ticket.name, "(no subject)")
        self.assertIn("no subject", ticket.review_note)
        self.assertIn("no text", ticket.review_note)
        ticket.with_user(self.consultant).action_mark_reviewed()
        self.assertFalse(ticket.review_note)

    def test_refused_attachments(self):
        self.env["ir.config_parameter"].set_param("support_contract.attachment_max_mb", "0.001")
        ticket = self._ticket_from(
            self._raw(
                self.maint_key.email,
                "Bilagor [bug_fix]",
                attachments=[
                    ("program.exe", b"MZ"),
                    ("stor.pdf", b"x" * 5000),
                    ("liten.txt", b"ok"),
                ],
            )
        )
        names = self.env["ir.attachment"].search(
            [("res_model", "=", "support.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(names.mapped("name"), ["liten.txt"])
        self.assertIn("program.exe was refused", ticket.review_note)
        self.assertIn("stor.pdf was refused", ticket.review_note)

    def test_reply_threads_and_reopens(self):
        ticket = self._ticket_from(
            self._raw(self.maint_key.email, "Tråd [bug_fix]", message_id="<first@client.example>")
        )
        self._process(self._reply("Mer information", "second", "first"))
        self.assertEqual(len(self.Ticket.search([("name", "like", "Tråd")])), 1)
        self.assertIn("Mer information", ticket.message_ids[0].body)
        # Resolved, then a reply within the window: reopened and decided afresh.
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "no_code_error"})
        self.assertEqual(ticket.coverage, "billable")
        self._process(self._reply("Det är inte löst", "third", "second"))
        self.assertFalse(ticket.is_closed)
        self.assertFalse(ticket.outcome)
        self.assertEqual(ticket.coverage, "covered")
        # Resolved again, and the reply comes after the window: a new request refers to it.
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        ticket.date_resolved = fields.Datetime.now() - timedelta(days=8)
        new = self._ticket_from(self._reply("Samma fel igen", "fourth", "third"))
        self.assertTrue(ticket.is_closed)
        self.assertEqual(len(new), 1)
        self.assertEqual(new.parent_ticket_id, ticket)
        self.assertEqual(new.partner_id, self.maint_key)
        self.assertEqual(new.category_id, ticket.category_id)
        self.assertIn("Samma fel igen", new.description)
        self.assertNotIn("Samma fel igen", "".join(ticket.message_ids.mapped("body")))

    def test_reply_from_another_customer(self):
        ticket = self._ticket_from(
            self._raw(self.maint_key.email, "Hemligt [bug_fix]", message_id="<a1@client.example>")
        )
        new = self._ticket_from(
            self._reply(
                "Från en annan kund",
                "b1",
                "a1",
                sender=self.patch_contact.email,
                subject=f"Re: {ticket.number} Hemligt",
            )
        )
        self.assertEqual(len(new), 1)
        self.assertEqual(new.partner_id, self.patch_contact)
        self.assertIn(ticket.number, new.review_note)
        self.assertNotIn("Från en annan kund", "".join(ticket.message_ids.mapped("body")))
        self.assertNotIn(self.patch_contact, ticket.message_partner_ids)

    def test_reply_from_another_customer_to_a_private_persons_ticket(self):
        """A private person (no company) is a customer too: another customer's reply to their
        request becomes a ticket of its own, as for a company's."""
        private = self.env["res.partner"].create(
            {"name": "Petra Privat", "email": "petra@privat.example.com"}
        )
        ticket = self._ticket_from(
            self._raw(private.email, "Min fråga [bug_fix]", message_id="<p1@client.example>")
        )
        self.assertEqual(ticket.partner_id, private)
        self.assertEqual(ticket.commercial_partner_id, private)
        messages = ticket.message_ids
        new = self._ticket_from(
            self._reply("Från en annan kund", "p2", "p1", sender=self.patch_contact.email)
        )
        self.assertEqual(len(new), 1)
        self.assertEqual(new.partner_id, self.patch_contact)
        self.assertIn(ticket.number, new.review_note)
        self.assertEqual(ticket.message_ids, messages, "nothing added to the private request")
        self.assertNotIn(self.patch_contact, ticket.message_partner_ids)
        # The private person's own reply still threads in.
        self.assertFalse(self._ticket_from(self._reply("Tack", "p3", "p1", sender=private.email)))
        self.assertIn("Tack", "".join(ticket.message_ids.mapped("body")))

    def test_reply_to_the_catchall_from_another_customer(self):
        """Customers answer a notice at its reply-to, the catchall, not the support alias (Odoo
        then names no author while routing): another customer's reply still becomes a ticket
        of its own, while a colleague's reply to the same address threads in."""
        catchall = self.company.alias_domain_id.catchall_email
        self.assertTrue(catchall)
        ticket = self._ticket_from(
            self._raw(self.maint_key.email, "Hemligt [bug_fix]", message_id="<c1@client.example>")
        )
        messages = ticket.message_ids
        new = self._ticket_from(
            raw_email(
                self.patch_contact.email,
                f"Re: {ticket.number} Hemligt",
                body="Från en annan kund",
                to=catchall,
                message_id="<c2@client.example>",
                in_reply_to="<c1@client.example>",
            )
        )
        self.assertEqual(len(new), 1)
        self.assertEqual(new.partner_id, self.patch_contact)
        self.assertIn(ticket.number, new.review_note)
        self.assertEqual(ticket.message_ids, messages, "nothing added to the other request")
        self.assertNotIn(self.patch_contact, ticket.message_partner_ids)
        colleague = self._contact(self.cust_maint, "Kollega", email="kollega@underhall.example.com")
        self.assertFalse(
            self._ticket_from(
                raw_email(
                    colleague.email,
                    "Re: Hemligt",
                    body="Kollegans svar",
                    to=catchall,
                    message_id="<c3@client.example>",
                    in_reply_to="<c1@client.example>",
                )
            )
        )
        self.assertIn("Kollegans svar", ticket.message_ids[0].body)
        self.assertEqual(ticket.message_ids[0].author_id, colleague)

    def test_mail_from_own_alias_is_dropped(self):
        """Mail sent by the desk's own alias (or the catchall) to the desk is a loop: no ticket,
        no contact named after the alias, no acknowledgement."""
        domain = self.company.alias_domain_id
        Partner = self.env["res.partner"].with_context(active_test=False)
        for sender in (self.alias_email, domain.catchall_email, domain.bounce_email):
            tickets = self.Ticket.search_count([])
            partners = Partner.search_count([])
            mails = self.env["mail.mail"].search_count([])
            messages = self.env["mail.message"].search_count([])
            self._process(self._raw(sender, f"Loop from {sender} [bug_fix]"))
            self.assertEqual(self.Ticket.search_count([]), tickets, sender)
            self.assertEqual(Partner.search_count([]), partners, sender)
            self.assertFalse(Partner.search([("email", "=ilike", sender)]), sender)
            self.assertEqual(self.env["mail.mail"].search_count([]), mails, sender)
            self.assertEqual(self.env["mail.message"].search_count([]), messages, sender)
        # A customer's mail to the same alias still makes a ticket.
        self.assertTrue(self._ticket_from(self._raw(self.maint_key.email, "Riktig [bug_fix]")))

    def test_message_route_leaves_the_shared_message_dict(self):
        """Routing a reply as a new ticket (another customer, or past the reopen window) does
        not change the ``message_dict`` that the routes of other models receive."""
        ticket = self._ticket_from(
            self._raw(self.maint_key.email, "Hemligt [bug_fix]", message_id="<m1@client.example>")
        )
        Thread = self.env["mail.thread"]
        for sender in (self.patch_contact.email, self.maint_key.email):
            raw = self._reply("Svar", f"m2-{sender}", "m1", sender=sender)
            message = email.message_from_bytes(raw.encode(), policy=email.policy.SMTP)
            message_dict = Thread.message_parse(message)
            self.assertTrue(message_dict.get("parent_id"), "a reply to the ticket's message")
            before = copy.deepcopy(message_dict)
            routes = Thread.message_route(message, message_dict, model="support.ticket")
            self.assertEqual(routes[0][0], "support.ticket")
            self.assertEqual(self._unchanged_by_routing(message_dict, before), before, sender)
            if sender == self.patch_contact.email:
                self.assertFalse(routes[0][1], "a new ticket")
            else:
                self.assertEqual(routes[0][1], ticket.id)
        ticket.write({"stage_id": self.stage_resolved.id, "outcome": "code_error"})
        ticket.date_resolved = fields.Datetime.now() - timedelta(days=30)
        raw = self._reply("Igen", "m3", "m1")
        message = email.message_from_bytes(raw.encode(), policy=email.policy.SMTP)
        message_dict = Thread.message_parse(message)
        before = copy.deepcopy(message_dict)
        routes = Thread.message_route(message, message_dict, model="support.ticket")
        self.assertFalse(routes[0][1], "past the reopen window: a new ticket")
        self.assertEqual(routes[0][2]["parent_ticket_id"], ticket.id)
        self.assertEqual(self._unchanged_by_routing(message_dict, before), before)

    @staticmethod
    def _unchanged_by_routing(message_dict, before):
        """``message_dict`` apart from the key Odoo's own routing sets (the author it finds for
        an alias's sender): every key the parse made is kept, with its value."""
        after = dict(message_dict)
        if "author_id" not in before:
            after.pop("author_id", None)
        return after

    def test_subject_quoting_another_customers_reference(self):
        other = self._ticket(self.maint_key, self.cat["bug_fix"])
        new = self._ticket_from(
            self._raw(self.patch_contact.email, f"Angående {other.number} [tech_env]")
        )
        self.assertIn(other.number, new.review_note)
        self.assertEqual(new.partner_id, self.patch_contact)

    # --- Telling the sender -------------------------------------------------------------------
    def _answers(self, ticket):
        """The desk's automatic answers to the sender on `ticket`."""
        return ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")

    def _swedish(self):
        self.env["res.lang"]._activate_lang("sv_SE")
        self.env["ir.module.module"]._load_module_terms(["support_contract"], ["sv_SE"])

    def test_sender_told_about_an_empty_mail_in_their_language(self):
        self._swedish()
        self.maint_key.lang = "sv_SE"
        ticket = self._ticket_from(self._raw(self.maint_key.email, "", body=" "))
        answer = self._answers(ticket)
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.notification_ids.res_partner_id, self.maint_key, "the sender only")
        self.assertIn(ticket.number, answer.body)
        self.assertIn("Ditt e-postmeddelande saknade text", answer.body)
        self.assertIn("saknade ämne", answer.body)
        self.assertNotIn("no text", answer.body)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", answer.id)])
        self.assertEqual(mail.recipient_ids, self.maint_key)
        self.assertIn("auto-replied", mail.headers, "marked as an auto-reply (RFC 3834)")
        # The consultant's note stays.
        self.assertIn("no text", ticket.review_note)

    def test_sender_told_about_refused_files_in_english(self):
        self.patch_contact.lang = "en_US"
        self.env["ir.config_parameter"].set_param("support_contract.attachment_max_mb", "0.001")
        ticket = self._ticket_from(
            self._raw(
                self.patch_contact.email,
                "Files [tech_env]",
                attachments=[("program.exe", b"MZ"), ("big.pdf", b"x" * 5000), ("ok.txt", b"ok")],
            )
        )
        answer = self._answers(ticket)
        self.assertEqual(answer.notification_ids.res_partner_id, self.patch_contact)
        self.assertIn("program.exe was refused: files of type .exe are not accepted", answer.body)
        self.assertIn("big.pdf was refused", answer.body)
        self.assertNotIn("ok.txt", answer.body)
        self.assertNotIn("no text", answer.body)
        self.assertIn("program.exe was refused", ticket.review_note)
        # A reply bringing a refused file: noted and answered on the same ticket.
        self.env.cr.execute(
            "UPDATE mail_message SET create_date = create_date - interval '1 day' WHERE id = %s",
            [answer.id],
        )
        self._process(
            self._raw(
                self.patch_contact.email,
                f"Re: {ticket.name}",
                body="Here it is again",
                in_reply_to=ticket.message_ids.filtered(lambda m: m.message_type == "email")[
                    :1
                ].message_id,
                attachments=[("again.exe", b"MZ")],
            )
        )
        self.assertIn("again.exe was refused", ticket.review_note)
        self.assertIn("again.exe was refused", self._answers(ticket)[0].body)

    def test_unknown_sender_told_in_the_company_language(self):
        self._swedish()
        self.company.partner_id.lang = "sv_SE"
        ticket = self._ticket_from(self._raw("ny@okand.example.com", "Hjälp", body=" "))
        answer = self._answers(ticket)
        self.assertEqual(answer.notification_ids.res_partner_id, ticket.partner_id)
        self.assertIn("Ditt e-postmeddelande saknade text", answer.body)

    def test_sender_learns_nothing_of_another_customers_request(self):
        other = self._ticket(self.maint_key, self.cat["bug_fix"])
        other.name = "Hemlig affär hos Underhåll"
        new = self._ticket_from(
            self._raw(
                self.patch_contact.email,
                f"Re: {other.number}",
                body=" ",
                attachments=[("virus.exe", b"MZ")],
            )
        )
        self.assertIn(other.number, new.review_note, "the consultant is told")
        answer = self._answers(new)
        self.assertEqual(answer.notification_ids.res_partner_id, self.patch_contact)
        self.assertIn(new.number, answer.body)
        body = answer.body + (answer.subject or "")
        self.assertNotIn("Hemlig", body)
        self.assertNotIn(self.cust_maint.name, body)
        self.assertNotIn("does not belong", body)
        self.assertFalse(self._answers(other))

    def test_no_answer_to_automated_mail_nor_ping_pong(self):
        answered = self._ticket_from(
            self._raw(self.maint_key.email, "", body=" ", message_id="<pp1@client.example>")
        )
        answer = self._answers(answered)
        self.assertEqual(len(answer), 1)
        # A second bad e-mail within Odoo's loop window: noted, not answered again.
        second = self._ticket_from(
            self._raw(self.maint_key.email, "", body=" ", message_id="<pp2@client.example>")
        )
        self.assertIn("no text", second.review_note)
        self.assertFalse(self._answers(second))
        self.env.cr.execute(
            "UPDATE mail_message SET create_date = create_date - interval '1 day' "
            "WHERE message_type = 'auto_comment' AND model = 'support.ticket'"
        )
        # The sender's robot answers our answer (no auto headers, a refused file): threads in,
        # noted, never answered back.
        self._process(
            self._raw(
                self.maint_key.email,
                "Re: Automatic answer",
                body=" ",
                message_id="<pp3@client.example>",
                in_reply_to=answer.message_id,
                attachments=[("loop.exe", b"MZ")],
            )
        )
        self.assertIn("loop.exe was refused", answered.review_note)
        self.assertEqual(self._answers(answered), answer)
        # Automated mail (RFC 3834, bulk, list), the company's people, a no-reply robot:
        # tickets for review, no answer (the desk's own alias is a loop, dropped:
        # test_mail_from_own_alias_is_dropped).
        self.consultant.partner_id.email = "konsult@desk.example.com"
        senders = [
            (self.maint_key.email, ["Auto-Submitted: auto-replied"]),
            (self.maint_key.email, ["Precedence: bulk"]),
            (self.maint_key.email, ["List-Id: <news.client.example>"]),
            ("konsult@desk.example.com", []),
            ("noreply@client.example", []),
        ]
        for index, (sender, headers) in enumerate(senders):
            with self.subTest(sender=sender, headers=headers):
                tickets = self._ticket_from(
                    self._raw(
                        sender,
                        "",
                        body=" ",
                        message_id=f"<auto{index}@client.example>",
                        headers=headers,
                    )
                )
                self.assertEqual(len(tickets), 1)
                self.assertIn("no text", tickets.review_note)
                self.assertFalse(self._answers(tickets))
        # Past the loop window, a person's bad e-mail is answered again.
        third = self._ticket_from(
            self._raw(self.maint_key.email, "", body=" ", message_id="<pp4@client.example>")
        )
        self.assertEqual(len(self._answers(third)), 1)

    # --- Followers in one batch ------------------------------------------------------------------
    def test_requesters_follow_in_one_batch(self):
        Ticket = self.env["support.ticket"]
        contacts = [self._contact(self.cust_patch, f"Kontakt {i}") for i in range(6)]
        calls = []
        subscribe = type(Ticket).message_subscribe

        def spy(records, *args, **kwargs):
            calls.append(records)
            return subscribe(records, *args, **kwargs)

        with patch.object(type(Ticket), "message_subscribe", spy):
            tickets = Ticket.create(
                [
                    {
                        "name": f"Batch {i}",
                        "partner_id": contact.id,
                        "category_id": self.cat["tech_env"].id,
                    }
                    for i, contact in enumerate(contacts)
                ]
            )
        self.assertFalse(calls, "no subscribe call per ticket")
        for ticket, contact in zip(tickets, contacts, strict=True):
            self.assertIn(contact, ticket.message_partner_ids)
            self.assertEqual(
                len(ticket.message_follower_ids.filtered(lambda f, c=contact: f.partner_id == c)),
                1,
            )
        # The queries of the subscription do not grow with the number of tickets.
        counts = []
        for size in (2, 6):
            some = tickets[:size]
            colleagues = self.env["res.partner"].concat(
                *(self._contact(self.cust_patch, f"Kollega {size}-{i}") for i in range(size))
            )
            self.env.flush_all()
            start = self.env.cr.sql_log_count
            some._support_subscribe(
                {
                    ticket.id: colleague.ids
                    for ticket, colleague in zip(some, colleagues, strict=True)
                }
            )
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - start)
            for ticket, colleague in zip(some, colleagues, strict=True):
                self.assertIn(colleague, ticket.message_partner_ids)
                self.assertEqual(ticket.message_partner_ids & colleagues, colleague)
        self.assertEqual(counts[0], counts[1], f"queries for 2 and 6 tickets: {counts}")

    def test_loop_protection_stays(self):
        self.env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 2)
        for i in range(3):
            self._process(
                self._raw(
                    "autoreply@robot.example.com",
                    f"Automatic reply {i}",
                    message_id=f"<loop{i}@robot.example>",
                )
            )
        tickets = self.Ticket.search([("email_from", "ilike", "autoreply@robot.example.com")])
        self.assertEqual(
            len(tickets), 2, "the third e-mail of the loop is not turned into a ticket"
        )

    def test_assignment_and_activity(self):
        activity_type = self.env.ref("support_contract.mail_activity_type_new_request")
        # The covering agreement names a consultant.
        self.agr_maint.consultant_id = self.consultant
        ticket = self._ticket_from(self._raw(self.maint_key.email, "Tilldelning [bug_fix]"))
        self.assertEqual(ticket.user_id, self.consultant)
        activity = ticket.activity_ids
        self.assertEqual(activity.activity_type_id, activity_type)
        self.assertEqual(activity.user_id, self.consultant)
        self.assertEqual(activity.date_deadline, fields.Date.context_today(activity) + timedelta(1))
        # The customer names one (no agreement does).
        self.cust_patch.support_consultant_id = self.manager
        ticket = self._ticket_from(self._raw(self.patch_contact.email, "VPN [tech_env]"))
        self.assertEqual(ticket.user_id, self.manager)
        # Nobody: the team queue (unassigned), and the queue manager gets the activity.
        self.company.support_queue_user_id = self.manager
        ticket = self._ticket_from(self._raw("ny@okand.example.com", "Hej"))
        self.assertFalse(ticket.user_id)
        self.assertEqual(ticket.activity_ids.user_id, self.manager)
        # A ticket registered by the team is not assigned by the rule.
        backend = self._ticket(self.maint_key, self.cat["bug_fix"])
        self.assertFalse(backend.activity_ids)

    def test_origin_is_recorded_by_the_server(self):
        ticket = self._ticket(self.maint_key, self.cat["bug_fix"])
        other = self._ticket(self.maint_key, self.cat["bug_fix"])
        Ticket = self.env["support.ticket"].with_user(self.consultant)
        for vals in ({"intake_channel": "email"}, {"parent_ticket_id": other.id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                ticket.with_user(self.consultant).write(vals)
        self.assertEqual(ticket.intake_channel, "backend")
        self.assertFalse(ticket.parent_ticket_id)
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "name": "Fake",
                    "partner_id": self.maint_key.id,
                    "category_id": self.cat["bug_fix"].id,
                    "intake_channel": "portal",
                }
            )
