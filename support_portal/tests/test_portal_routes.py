from markupsafe import escape

from odoo import http
from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalRoutes(SupportPortalFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _get(self, url, **kwargs):
        return self.url_open(url, allow_redirects=False, **kwargs)

    def _post(self, url, data):
        return self.url_open(
            url, data=dict(data, csrf_token=http.Request.csrf_token(self)), allow_redirects=False
        )

    def _assert_refused(self, response, msg=None):
        """A refusal is a 403/404 or a redirect to /my (or to the login page)."""
        if response.status_code in (301, 302, 303):
            location = response.headers.get("Location", "")
            self.assertTrue(location.endswith("/my") or "/web/login" in location, msg or location)
        else:
            self.assertIn(response.status_code, (403, 404), msg)

    # --- /my ----------------------------------------------------------------------------------
    def test_home_entry_and_counter(self):
        self._login(self.portal_key_a)
        response = self._get("/my")
        self.assertEqual(response.status_code, 200)
        self.assertIn('href="/my/support/tickets"', response.text)
        self.assertIn('data-placeholder_count="support_open_ticket_count"', response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters",
            {
                "counters": [
                    "support_ticket_count",
                    "support_open_ticket_count",
                    "support_held_ticket_count",
                ]
            },
        )
        self.assertEqual(counters["support_ticket_count"], 2)
        self.assertEqual(counters["support_open_ticket_count"], 2)
        self.assertEqual(counters["support_held_ticket_count"], 1)

    # --- list ---------------------------------------------------------------------------------
    def test_list_key_user_sees_colleagues(self):
        self._login(self.portal_key_a)
        response = self._get("/my/support/tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket_key_a.number, response.text)
        self.assertIn(self.ticket_user_a.number, response.text)
        self.assertNotIn(self.ticket_b.number, response.text)

    def test_list_contact_sees_own_only(self):
        self._login(self.portal_user_a)
        text = self._get("/my/support/tickets").text
        self.assertIn(self.ticket_user_a.number, text)
        self.assertNotIn(self.ticket_key_a.number, text)

    def test_list_filters_search_sort_group(self):
        self._login(self.portal_key_a)
        cases = [
            ("filterby=covered", [self.ticket_key_a], [self.ticket_user_a]),
            ("filterby=billable", [self.ticket_user_a], [self.ticket_key_a]),
            ("filterby=open", [self.ticket_key_a, self.ticket_user_a], []),
            ("filterby=resolved", [], [self.ticket_key_a, self.ticket_user_a]),
            ("search=Fix+the&search_in=all", [self.ticket_user_a], [self.ticket_key_a]),
            ("search=Arne&search_in=requester", [self.ticket_user_a], [self.ticket_key_a]),
            ("sortby=name&groupby=coverage", [self.ticket_key_a, self.ticket_user_a], []),
            ("sortby=stage&groupby=category_id", [self.ticket_key_a, self.ticket_user_a], []),
            ("groupby=partner_id&sortby=coverage", [self.ticket_key_a, self.ticket_user_a], []),
            ("sortby=bogus&groupby=bogus&filterby=bogus", [self.ticket_key_a], []),
        ]
        for query, shown, hidden in cases:
            response = self._get(f"/my/support/tickets?{query}")
            self.assertEqual(response.status_code, 200, query)
            for ticket in shown:
                self.assertIn(ticket.number, response.text, query)
            for ticket in hidden:
                self.assertNotIn(ticket.number, response.text, query)

    def test_list_pager(self):
        for index in range(85):
            self._ticket(self.key_a, self.cat_bug_fix, name=f"Pager ticket {index}")
        self._login(self.portal_key_a)
        first = self._get("/my/support/tickets?sortby=name").text
        self.assertIn("/my/support/tickets/page/2", first)
        second = self._get("/my/support/tickets/page/2?sortby=name")
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.text.count("o_support_ticket_row"), 87 - 80)

    # --- detail ---------------------------------------------------------------------------
    def test_reason_in_the_customers_language(self):
        """The same ticket's reason reads in Swedish for a Swedish customer, in English after
        the customer switches to English."""
        ticket = self.ticket_user_a
        url = f"/my/support/tickets/{ticket.id}"
        swedish = ticket.with_context(lang="sv_SE").coverage_reason
        english = ticket.with_context(lang="en_US").coverage_reason
        self.assertNotEqual(swedish, english)
        self.assertTrue(english.startswith("Billable"), english)
        self.assertTrue(swedish.startswith("Debiterbar"), swedish)
        self.portal_user_a.lang = "sv_SE"
        self._login(self.portal_user_a)
        text = self.url_open(url).text  # follows the redirect to the /sv/ page
        self.assertIn(str(escape(swedish)), text)
        self.assertNotIn(str(escape(english)), text)
        self.portal_user_a.lang = "en_US"
        self.opener.cookies.clear()  # forget the Swedish pages' language cookie
        self._login(self.portal_user_a)
        text = self.url_open(url).text
        self.assertIn(str(escape(english)), text)
        self.assertNotIn(str(escape(swedish)), text)

    def test_time_billing_reason_in_the_readers_language(self):
        """The time logged on a request and why it is billed: a Swedish customer reads it in
        Swedish on the portal, an English consultant the same line in English."""
        line = self.ticket_user_a.timesheet_ids
        self.assertEqual(line.support_billing_status, "held")
        consultant = self._user(
            "sp_reason_consultant", "support_contract.group_support_user", lang="en_US"
        )
        english = line.with_user(consultant).with_context(lang="en_US").support_billing_reason
        swedish = line.with_context(lang="sv_SE").support_billing_reason
        self.assertIn(f"1.00 h drawn from pack {self.pack_a.name}", english)
        self.assertIn("2.00 h beyond the prepaid balance await the customer's approval", english)
        self.assertIn(f"1.00 h dragna från paketet {self.pack_a.name}", swedish)
        self.portal_user_a.lang = "sv_SE"
        self._login(self.portal_user_a)
        text = self.url_open(f"/my/support/tickets/{self.ticket_user_a.id}").text
        self.assertIn("o_support_time_line", text)
        self.assertIn(str(escape(swedish)), text)
        self.assertNotIn(str(escape(english)), text)
        self.assertIn("Väntar på godkännande", text)  # the status, in Swedish too

    def test_detail_shows_decision_and_hours(self):
        self._login(self.portal_user_a)
        response = self._get(f"/my/support/tickets/{self.ticket_user_a.id}")
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertIn(self.ticket_user_a.number, text)
        self.assertIn("o_support_coverage_reason", text)
        self.assertIn("o_support_hours", text)
        self.assertIn("o_portal_chatter", text)
        # An ordinary contact sees that work is held but cannot approve it.
        self.assertIn("o_support_approval", text)
        self.assertNotIn("/approval", text)

    def test_detail_other_customer_refused(self):
        self._login(self.portal_user_b)
        for ticket in (self.ticket_key_a, self.ticket_user_a):
            self._assert_refused(self._get(f"/my/support/tickets/{ticket.id}"), ticket.number)
        # guessed ids: a ticket that does not exist, and one of a colleague
        self._assert_refused(self._get("/my/support/tickets/999999"))
        self._login(self.portal_user_a)
        self._assert_refused(self._get(f"/my/support/tickets/{self.ticket_key_a.id}"))

    def test_detail_access_token(self):
        token = self.ticket_key_a._portal_ensure_token()
        self._login(self.portal_user_b)
        url = f"/my/support/tickets/{self.ticket_key_a.id}"
        self._assert_refused(self._get(f"{url}?access_token=wrong"))
        response = self._get(f"{url}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.ticket_key_a.number, response.text)
        self.authenticate(None, None)
        self.assertEqual(self._get(f"{url}?access_token={token}").status_code, 200)

    # --- replies ------------------------------------------------------------------------------
    def _post_message(self, ticket, body, **extra):
        return self.url_open(
            "/mail/message/post",
            json={
                "params": {
                    "thread_model": "support.ticket",
                    "thread_id": ticket.id,
                    "post_data": {"body": body, "message_type": "comment"},
                    **extra,
                }
            },
        )

    def test_reply_own_ticket(self):
        self._login(self.portal_user_a)
        response = self._post_message(self.ticket_user_a, "Any news?")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("error", response.json())
        self.assertIn("Any news?", "".join(self.ticket_user_a.message_ids.mapped("body")))

    def test_reply_other_customer_refused(self):
        self.ticket_key_a._portal_ensure_token()
        before = self.ticket_key_a.message_ids
        self._login(self.portal_user_b)
        response = self._post_message(self.ticket_key_a, "Intruder")
        self.assertTrue(response.status_code in (403, 404) or "error" in response.json())
        response = self._post_message(self.ticket_key_a, "Intruder", token="guess")
        self.assertTrue(response.status_code in (403, 404) or "error" in response.json())
        self.assertEqual(self.ticket_key_a.message_ids, before)

    # --- new request --------------------------------------------------------------------------
    def test_new_form_and_decide_route(self):
        self._login(self.portal_user_a)
        response = self._get("/my/support/tickets/new")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_support_request_form", response.text)
        self.assertIn(self.cat_bug_fix.name, response.text)
        decision = self.make_jsonrpc_request(
            "/my/support/tickets/decide", {"category_id": self.cat_bug_fix.id}
        )
        self.assertEqual(decision["coverage"], "billable")
        self.assertTrue(decision["key_user_only"])
        self.assertEqual(decision["key_users"], ["Anna Nyckel"])
        self.assertTrue(decision["requires_acceptance"])
        decision = self.make_jsonrpc_request(
            "/my/support/tickets/decide", {"category_id": self.cat_code_upgrade.id}
        )
        self.assertEqual(decision["coverage"], "covered")
        self.assertFalse(decision["requires_acceptance"])
        self.assertIn("error", self.make_jsonrpc_request("/my/support/tickets/decide", {}))

    def test_submit_billable_without_acceptance_refused(self):
        Ticket = self.env["support.ticket"]
        count = Ticket.search_count([])
        self._login(self.portal_user_b)
        data = {"category_id": self.cat_bug_fix.id, "name": "Slow invoices"}
        response = self._post("/my/support/tickets/new", data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_support_error", response.text)
        self.assertIn("o_support_decision_label", response.text)
        self.assertEqual(Ticket.search_count([]), count)
        response = self._post("/my/support/tickets/new", dict(data, charge_accepted="1"))
        self.assertEqual(response.status_code, 303)
        ticket = Ticket.search([("name", "=", "Slow invoices")])
        self.assertEqual(ticket.partner_id, self.user_b)
        self.assertTrue(ticket.charge_accepted)
        self.assertEqual(ticket.charge_accepted_by_id, self.user_b)
        self.assertTrue(response.headers["Location"].endswith(ticket.access_url))

    # --- agreements and packs -----------------------------------------------------------------
    def test_agreements_page(self):
        self._login(self.portal_user_a)
        response = self._get("/my/support/agreements")
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertIn(self.agr_a_maint.name, text)
        self.assertIn(self.agr_a_patch.name, text)
        self.assertNotIn(self.agr_b.name, text)
        self.assertIn("Anna Nyckel", text)
        self.assertIn(self.cat_code_upgrade.name, text)
        self.assertIn("o_support_prerequisite", text)

    def test_packs_page_and_history(self):
        self._login(self.portal_user_a)
        response = self._get("/my/support/packs")
        self.assertEqual(response.status_code, 200)
        text = response.text
        self.assertIn(self.pack_a.name, text)
        self.assertNotIn(self.pack_b.name, text)
        self.assertIn("o_support_pack_history", text)
        self.assertIn(self.ticket_user_a.number, text)
        self.assertIn("o_support_held_row", text)
        self.assertNotIn("/approval", text)

    # --- approval -----------------------------------------------------------------------------
    def test_approval_refused_for_others(self):
        url = f"/my/support/tickets/{self.ticket_user_a.id}/approval"
        for user in (self.portal_user_b, self.portal_user_a):
            self._login(user)
            response = self._post(url, {"decision": "approve"})
            self._assert_refused(response, user.login)
            self.assertEqual(self.ticket_user_a.approval_state, "pending", user.login)
        self._login(self.portal_user_b)
        self._assert_refused(self._post("/my/support/tickets/999999/approval", {"decision": "x"}))

    def test_approval_by_key_user_from_packs(self):
        self._login(self.portal_key_a)
        text = self._get("/my/support/packs").text
        self.assertIn(f"/my/support/tickets/{self.ticket_user_a.id}/approval", text)
        response = self._post(
            f"/my/support/tickets/{self.ticket_user_a.id}/approval",
            {"decision": "refuse", "redirect": "packs"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my/support/packs"))
        self.assertEqual(self.ticket_user_a.approval_state, "refused")
        self.assertEqual(self.ticket_user_a.approval_partner_id, self.key_a)

    def test_detail_shows_override_reason(self):
        self.ticket_b.write(
            {"coverage_override": "covered", "coverage_override_reason": "Goodwill for the launch"}
        )
        self._login(self.portal_user_b)
        text = self._get(f"/my/support/tickets/{self.ticket_b.id}").text
        self.assertIn("Goodwill for the launch", text)

    def _upload(self, ticket):
        return self.url_open(
            "/mail/attachment/upload",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "thread_id": ticket.id,
                "thread_model": "support.ticket",
            },
            files={"ufile": ("log.txt", b"stack trace", "text/plain")},
        )

    def test_attachment_upload(self):
        self._login(self.portal_user_a)
        self.assertEqual(self._upload(self.ticket_user_a).status_code, 200)
        self._login(self.portal_user_b)
        self.assertIn(self._upload(self.ticket_user_a).status_code, (403, 404))
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "support.ticket"), ("res_id", "=", self.ticket_user_a.id)]
        )
        self.assertEqual(len(attachments), 1)

    def test_swedish_pages(self):
        self.env["res.lang"]._activate_lang("sv_SE")
        self.env["ir.module.module"]._load_module_terms(["support_portal"], ["sv_SE"])
        self.portal_user_a.lang = "sv_SE"
        self._login(self.portal_user_a)
        # /my/... redirects to /sv/my/...
        self.assertIn("Supportärenden", self.url_open("/my/support/tickets").text)
        self.assertIn("Skicka ärende", self.url_open("/my/support/tickets/new").text)
        decision = self.make_jsonrpc_request(
            "/my/support/tickets/decide", {"category_id": self.cat_bug_fix.id}
        )
        self.assertTrue(decision["lines"][0].startswith("Debiteras"), decision["lines"])
