import calendar
import logging
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import format_date

_logger = logging.getLogger(__name__)

# Hours of a timesheet line by billing status, as the statement shows them.
STATEMENT_COLUMNS = ("covered", "pack", "invoiced", "to_invoice", "held")


class SupportStatement(models.Model):
    """A customer's monthly support statement: the PDF rendered once, kept as sent.

    A statement never changes once issued: a re-issue for the same month is a new version.
    """

    _name = "support.statement"
    _description = "Support Statement"
    _inherit = ["mail.thread", "portal.mixin"]  # noqa: RUF012
    _order = "date desc, partner_id, version desc"

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(string="Month", required=True, readonly=True, help="First day of the month.")
    version = fields.Integer(required=True, readonly=True, default=1)
    state = fields.Selection(
        [("issued", "Issued"), ("sent", "Sent")], default="issued", required=True, readonly=True
    )
    sent_date = fields.Datetime(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)

    _partner_month_version_unique = models.Constraint(
        "UNIQUE(partner_id, company_id, date, version)",
        "A statement exists once per customer, month and version.",
    )

    @api.depends("partner_id", "date", "version")
    def _compute_name(self):
        for statement in self:
            statement.name = self.env._(
                "Support statement %(month)s, %(customer)s (version %(version)s)",
                month=statement.date and statement.date.strftime("%Y-%m"),
                customer=statement.partner_id.name,
                version=statement.version,
            )

    def _compute_access_url(self):
        super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/support/statements/{statement.id}"

    # ------------------------------------------------------------------ protection
    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("A support statement cannot be changed: issue a new one."))
        return super().write(vals)

    def unlink(self):
        self.check_access("unlink")  # the rights first: nobody learns the state otherwise
        if not self.env.su and self.filtered(lambda s: s.state == "sent"):
            raise UserError(self.env._("A statement that was sent cannot be deleted."))
        return super().unlink()

    @api.model
    def _check_can_issue(self):
        user = self.env.user
        if not (
            user.has_group("support_contract.group_support_manager")
            or user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._("Only Support Managers and accountants issue support statements.")
            )

    # ------------------------------------------------------------------ issuing
    @api.model
    def _month_bounds(self, day):
        start = day.replace(day=1)
        return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])

    @api.model
    def _customers_with_activity(self, company, month):
        """Customers of ``company`` with support activity in ``month``: requests, time, fees
        or pack draws."""
        start, end = self._month_bounds(month)
        env = self.env
        partners = (
            env["support.ticket"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("request_date", ">=", start),
                    ("request_date", "<=", end),
                ],
                ["commercial_partner_id"],
            )
        )
        customers = {partner.id for (partner,) in partners}
        lines = (
            env["account.analytic.line"]
            .sudo()
            ._read_group(
                [
                    ("support_ticket_id", "!=", False),
                    ("company_id", "=", company.id),
                    ("date", ">=", start),
                    ("date", "<=", end),
                ],
                ["support_partner_id"],
            )
        )
        customers |= {partner.id for (partner,) in lines}
        fees = (
            env["support.agreement.fee.period"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("date_start", "=", start)], ["partner_id"]
            )
        )
        customers |= {partner.id for (partner,) in fees}
        return env["res.partner"].browse(sorted(customers - {False}))

    @api.model
    def _issue(self, partners, month, company):
        """Render and store a new version of the statement of each of ``partners`` for the
        month of ``month`` in ``company``. Callers check the rights first."""
        start, _end = self._month_bounds(month)
        Statement = self.sudo().with_company(company)
        last = dict(
            Statement._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                    ("date", "=", start),
                ],
                ["partner_id"],
                ["version:max"],
            )
        )
        statements = Statement.create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date": start,
                    "version": last.get(partner, 0) + 1,
                }
                for partner in partners
            ]
        )
        for statement in statements:
            statement._render_pdf()
        return statements

    def _render_pdf(self):
        """Render the statement once, in the customer's language, and keep the PDF."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        report = self.env["ir.actions.report"].sudo().with_context(lang=lang)
        content, _type = report._render_qweb_pdf(
            "support_timesheet.support_statement_report", self.ids
        )
        filename = f"{self.name}.pdf".replace("/", "-")
        self.attachment_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": filename,
                    "type": "binary",
                    "raw": content,
                    "mimetype": "application/pdf" if _type == "pdf" else "text/html",
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                }
            )
        )

    def _send(self):
        """E-mail each statement with its stored PDF, in the customer's language, to the
        customer's invoice contact: one who reads the statement (``_is_support_request_reader``,
        the rule of its portal page and PDF), not the company's own address when invoices go
        to a contact of their own."""
        template = self.env.ref("support_timesheet.mail_template_support_statement")
        for statement in self.sudo():
            statement.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                attachment_ids=statement.attachment_id.ids,
                partner_ids=statement.partner_id._support_invoice_contact().ids,
            )
            statement.write({"state": "sent", "sent_date": fields.Datetime.now()})

    def action_send(self):
        """Send statements not sent yet (a sent statement is re-issued as a new version)."""
        self._check_can_issue()
        self.check_access("read")
        self.filtered(lambda s: s.state == "issued")._send()
        return True

    def action_reissue(self):
        """Issue and send a new version of these statements from today's data."""
        self._check_can_issue()
        self.check_access("read")
        new = self.browse()
        for statement in self:
            new |= self._issue(statement.partner_id, statement.date, statement.company_id)
        new._send()
        return self._action_open(new)

    def action_download(self):
        """The stored PDF, through the statement's own download route (which checks that the
        user reads the statement: its customer's readers, or the statement's managers)."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_url",
            "url": f"{self.access_url}?download=1",
            "target": "self",
        }

    def _action_open(self, statements):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "support_timesheet.support_statement_action"
        )
        action["domain"] = [("id", "in", statements.ids)]
        return action

    @api.model
    def _cron_send_statements(self, month=None):
        """Last month's statement of every customer with activity, once (idempotent)."""
        month = month or fields.Date.context_today(self) - relativedelta(months=1)
        start, _end = self._month_bounds(month)
        for company in self.env["res.company"].sudo().search([]):
            customers = self._customers_with_activity(company, start)
            done = (
                self.sudo()
                .search(
                    [
                        ("company_id", "=", company.id),
                        ("date", "=", start),
                        ("partner_id", "in", customers.ids),
                    ]
                )
                .partner_id
            )
            todo = customers - done
            if todo:
                self._issue(todo, start, company)._send()
                _logger.info("Support statements of %s sent to %d customers", start, len(todo))

    # ------------------------------------------------------------------ content
    def _statement_values(self):
        """Everything the statement shows, read for its customer and company only, for a
        user who reads the statement (the report's HTML and PDF routes render it)."""
        self.ensure_one()
        self.check_access("read")
        env = self.sudo().env
        start, end = self._month_bounds(self.date)
        customer, company = self.partner_id, self.company_id
        Agreement = env["support.agreement"]
        agreements = Agreement.search(
            Domain("partner_id", "=", customer.id)
            & Domain("company_id", "=", company.id)
            & Agreement._get_in_force_domain(start, end),
            order="date_start, id",
        )
        lines = env["account.analytic.line"].search(
            [
                ("support_partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                ("date", ">=", start),
                ("date", "<=", end),
            ]
        )
        hours = defaultdict(lambda: dict.fromkeys(STATEMENT_COLUMNS, 0.0))
        for line in lines:
            row = hours[line.support_ticket_id.id]
            status = line.support_billing_status
            row["pack"] += line.support_pack_hours
            if status == "covered":
                row["covered"] += line.unit_amount
            elif status == "invoiced":
                row["invoiced"] += line.support_billed_hours
            elif status == "to_invoice":
                row["to_invoice"] += line._support_to_invoice_hours()
            elif status == "held":
                row["held"] += line._support_held_hours()
        tickets = env["support.ticket"].search(
            [
                ("commercial_partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                "|",
                "&",
                ("request_date", ">=", start),
                ("request_date", "<=", end),
                ("id", "in", list(hours)),
            ],
            order="request_date, id",
        )
        requests = [{"ticket": ticket, "hours": hours[ticket.id]} for ticket in tickets]
        totals = {
            column: sum(request["hours"][column] for request in requests)
            for column in STATEMENT_COLUMNS
        }
        packs = env["support.hour.pack"].search(
            [
                ("partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                ("date_start", "<=", end),
                ("date_end", ">=", start),
            ],
            order="date_start, id",
        )
        drawn_until = dict(
            env["support.hour.pack.consumption"]._read_group(
                [("pack_id", "in", packs.ids), ("date", "<=", end)], ["pack_id"], ["hours:sum"]
            )
        )
        # What each pack is worth and what it earned by the month's end: the pack revenue rule
        # the books recognise (hours drawn, hours expired), not the sale.
        worth = packs._support_earned_until(end)
        pack_rows = [
            {
                "pack": pack,
                "used": drawn_until.get(pack, 0.0),
                "remaining": pack.hours - drawn_until.get(pack, 0.0),
                "value": worth.get(pack.id, (0.0, 0.0))[0],
                "value_used": worth.get(pack.id, (0.0, 0.0))[1],
                "chart": pack._support_usage_svg(until=end),
            }
            for pack in packs
        ]
        to_invoice = env["support.ticket"].search(
            [
                ("commercial_partner_id", "=", customer.id),
                ("company_id", "=", company.id),
                ("hours_to_invoice", ">", 0),
            ],
            order="request_date, id",
        )
        return {
            "customer": customer,
            "company": company,
            "month": format_date(env, start, date_format="MMMM y"),
            "date_start": start,
            "date_end": end,
            # Their fees, per fee line: support_statement_fee.py.
            "agreements": [{"agreement": agreement} for agreement in agreements],
            "requests": requests,
            "totals": totals,
            "packs": pack_rows,
            "to_invoice": to_invoice,
        }
