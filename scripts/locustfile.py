"""Load test of the support suite (run by scripts/load.sh, which prepares the data).

Three kinds of users, against 127.0.0.1 only:
- portal users list and open their requests, preview new ones and submit some (billable ones
  with the charge accepted), through the portal's pages;
- consultants log time on a shared set of tickets of customers with nearly empty packs (some
  under cost control), through JSON-RPC as the web client does;
- one accountant runs the invoicing wizard for those customers twice during the run.

The figures are measured once every user has logged in (logging in hashes the password on
purpose: 20 users logging in at once would fill the first minute); the run then lasts
LOAD_DURATION seconds, or until the accountant's invoicing runs are done if that is later (a short
run on a slow machine), and stops itself. Locust's --run-time is the hard bound of the whole.

Environment: LOAD_DATA (the JSON written by load_data.py setup), LOAD_HOSTS (comma-separated base
URLs; users are spread over them), LOAD_RESULT (where the acknowledged entries and the
references seen in portal pages are written at the end), LOAD_DURATION (seconds measured).
"""

import itertools
import json
import os
import random
import re
import time
import uuid
from urllib.parse import urlparse

import gevent
from locust import HttpUser, between, events, task

DATA = json.load(open(os.environ["LOAD_DATA"]))
HOSTS = os.environ["LOAD_HOSTS"].split(",")
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
for host in HOSTS:
    if urlparse(host).hostname != "127.0.0.1":
        raise SystemExit(f"The load test only targets 127.0.0.1, not {host}")

REFERENCE = re.compile(r"SUP/\d{4}/\d+")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TICKET_LINK = re.compile(r'href="/my/support/tickets/(\d+)')

# What the checks of load_data.py need, written by the test_stop listener.
RESULT = {
    "acks": [],
    "unacked": [],
    "portal_refs": [],
    "invoicing": [],
    "errors": [],
    "requests": [],
}
_host_cycle = itertools.cycle(HOSTS)
_portal_logins = itertools.cycle(DATA["portal"])
_consultant_logins = itertools.cycle(DATA["consultants"])
_start = [time.time()]  # the measured window's start, once every user has logged in
_logged_in = []
# The accountant's invoicing runs, at these shares of the measured window.
INVOICING_AT = (0.4, 0.7)
_invoicing_left = [len(INVOICING_AT)]


DB = os.environ.get("LOAD_DB", DATA["db"])


@events.test_start.add_listener
def _on_start(environment, **kw):
    _start[0] = time.time()


def logged_in(user):
    """Count a user in; with the last one the measured window starts, and ends DURATION later."""
    _logged_in.append(time.time())
    if len(_logged_in) == user.environment.parsed_options.num_users:
        RESULT["ramp_up"] = time.time() - _start[0]
        _start[0] = RESULT["measured_from"] = time.time()
        gevent.spawn(_stop, user.environment.runner)


def _stop(runner):
    """End the run DURATION seconds into the measured window, once the invoicing runs are done."""
    gevent.sleep(DURATION)
    while _invoicing_left[0]:
        gevent.sleep(0.2)
    runner.quit()


@events.request.add_listener
def _on_request(name, response_time, exception=None, **kw):
    RESULT["requests"].append([name, round(response_time, 1), exception is not None, time.time()])


@events.test_stop.add_listener
def _on_stop(environment, **kw):
    RESULT["seconds"] = time.time() - _start[0]
    with open(os.environ["LOAD_RESULT"], "w") as out:
        json.dump(RESULT, out)


class OdooUser(HttpUser):
    abstract = True
    host = HOSTS[0]

    def on_start(self):
        # Spread the users over the nodes.
        self.client.base_url = next(_host_cycle)

    def jsonrpc(self, url, params, name):
        """POST a JSON-RPC call; returns its result, or None after recording the failure."""
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        with self.client.post(url, json=payload, name=name, catch_response=True) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"not JSON (HTTP {response.status_code})")
                return None
            if "error" in body:
                message = body["error"].get("data", {}).get("message") or str(body["error"])
                response.failure(message[:200])
                RESULT["errors"].append([name, message[:300]])
                return None
            return body["result"]

    def call_kw(self, model, method, args, kwargs=None, name=None):
        return self.jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            name or f"{model}.{method}",
        )


class PortalUser(OdooUser):
    """A customer's contact in the portal."""

    weight = 3
    wait_time = between(0.5, 2)

    def on_start(self):
        super().on_start()
        self.account = next(_portal_logins)
        page = self.client.get("/web/login", name="portal: login page")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/web/login",
            data={
                "login": self.account["login"],
                "password": self.account["password"],
                "csrf_token": token,
                "redirect": "/my/support/tickets",
            },
            name="portal: log in",
        )
        self.ticket_ids = [int(i) for i in TICKET_LINK.findall(response.text)]
        logged_in(self)

    def seen(self, response):
        """Record the ticket references of a page: load_data.py checks they are the user's."""
        for reference in set(REFERENCE.findall(response.text)):
            RESULT["portal_refs"].append([reference, self.account["customer_id"], response.url])

    @task(4)
    def list_requests(self):
        response = self.client.get("/my/support/tickets", name="portal: list requests")
        self.seen(response)
        self.ticket_ids = [int(i) for i in TICKET_LINK.findall(response.text)] or self.ticket_ids

    @task(4)
    def open_request(self):
        if not self.ticket_ids:
            return
        ticket_id = random.choice(self.ticket_ids)
        with self.client.get(
            f"/my/support/tickets/{ticket_id}", name="portal: open request", catch_response=True
        ) as response:
            if urlparse(response.url).path != f"/my/support/tickets/{ticket_id}":
                response.failure(f"redirected to {response.url}")
            self.seen(response)

    @task(2)
    def preview_request(self):
        self.preview(random.choice(DATA["categories"]))

    def preview(self, category_id):
        return self.jsonrpc(
            "/my/support/tickets/decide", {"category_id": category_id}, "portal: preview request"
        )

    @task(1)
    def submit_request(self):
        category_id = random.choice(DATA["categories"])
        page = self.client.get("/my/support/tickets/new", name="portal: new request form")
        decision = self.preview(category_id)
        if decision is None:
            return
        form = {
            "csrf_token": CSRF.search(page.text).group(1),
            "category_id": category_id,
            "name": f"Load request {uuid.uuid4().hex[:8]}",
            "description": "Raised by the load test.",
        }
        if decision.get("requires_acceptance"):
            form["charge_accepted"] = "on"
        with self.client.post(
            "/my/support/tickets/new", data=form, name="portal: submit request", catch_response=True
        ) as response:
            match = re.search(r"/my/support/tickets/(\d+)", urlparse(response.url).path)
            if not match:
                response.failure("the request was not created")
                return
            self.ticket_ids.append(int(match.group(1)))
            self.seen(response)


class Consultant(OdooUser):
    """A consultant logging time on the shared tickets, as the web client's timesheet list."""

    weight = 2
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        account = next(_consultant_logins)
        self.jsonrpc(
            "/web/session/authenticate",
            {"db": DB, "login": account["login"], "password": account["password"]},
            "consultant: log in",
        )
        logged_in(self)

    @task(5)
    def log_time(self):
        ticket_id = random.choice(DATA["tickets"])
        hours = random.choice([0.25, 0.5, 0.75, 1.0])
        tag = f"load {uuid.uuid4().hex}"
        entry = {"tag": tag, "ticket": ticket_id, "hours": hours}
        result = self.call_kw(
            "account.analytic.line",
            "web_save",
            [[], {"support_ticket_id": ticket_id, "unit_amount": hours, "name": tag}],
            {"specification": {"id": {}, "support_billing_status": {}}},
            name="consultant: log time",
        )
        if result:
            RESULT["acks"].append({**entry, "id": result[0]["id"]})
        else:
            RESULT["unacked"].append(entry)

    @task(1)
    def read_ticket(self):
        self.call_kw(
            "support.ticket",
            "web_read",
            [[random.choice(DATA["tickets"])]],
            {"specification": {f: {} for f in DATA["ticket_fields"]}},
            name="consultant: open ticket",
        )


class Accountant(OdooUser):
    """Runs the invoicing wizard for the shared tickets' customers at 40% and 70% of the run."""

    fixed_count = 1
    wait_time = between(0.5, 1)

    def on_start(self):
        super().on_start()
        self.runs = list(INVOICING_AT)
        self.jsonrpc(
            "/web/session/authenticate",
            {
                "db": DB,
                "login": DATA["accountant"]["login"],
                "password": DATA["accountant"]["password"],
            },
            "accountant: log in",
        )
        logged_in(self)

    @task
    def invoice(self):
        # Not before the consultants have logged some time.
        if "measured_from" not in RESULT or not self.runs or not RESULT["acks"]:
            return
        if time.time() - _start[0] < self.runs[0] * DURATION:
            return
        self.runs.pop(0)
        try:
            self.run_invoicing()
        finally:
            _invoicing_left[0] -= 1

    def run_invoicing(self):
        wizard = self.call_kw(
            "support.invoice.create",
            "web_save",
            [
                [],
                {
                    "date_from": DATA["date_from"],
                    "date_to": DATA["date_to"],
                    "partner_ids": [(6, 0, DATA["invoiced_customers"])],
                },
            ],
            {"specification": {"id": {}}},
            name="accountant: invoicing wizard",
        )
        if not wizard:
            return
        action = self.jsonrpc(
            "/web/dataset/call_button/support.invoice.create/action_create_invoices",
            {
                "model": "support.invoice.create",
                "method": "action_create_invoices",
                "args": [[wizard[0]["id"]]],
                "kwargs": {},
            },
            "accountant: create invoices",
        )
        if action:
            RESULT["invoicing"].append({"at": time.time() - _start[0], "action": action})
