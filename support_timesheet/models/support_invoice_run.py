import logging

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

# Customers invoiced per committed step of a background run.
RUN_BATCH_CUSTOMERS = 50


class SupportInvoiceRun(models.Model):
    """An invoicing run of billable support time done by a scheduled job, in committed steps.

    A large run (thousands of tickets) would hold a browser request for minutes; queued here it
    runs in the background, one batch of customers per transaction, and shows its progress. A
    step that fails rolls back alone: what was invoiced stays, the run can be resumed.
    """

    _name = "support.invoice.run"
    _description = "Support Invoicing Run"
    _inherit = ["mail.thread", "support.protected.mixin"]  # noqa: RUF012
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    partner_ids = fields.Many2many(
        "res.partner", string="Customers", readonly=True, help="Empty: every customer."
    )
    type_ids = fields.Many2many(
        "support.agreement.type",
        string="Agreement Types",
        readonly=True,
        help="Empty: every agreement type.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested by",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        readonly=True,
        default=lambda self: self.env.companies,
        help="The companies selected when the run was requested; it invoices their time.",
    )
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("done_errors", "Done with Errors"),
            ("failed", "Failed"),
        ],
        default="queued",
        required=True,
        readonly=True,
        tracking=True,
    )
    customers_total = fields.Integer(string="Customers to Invoice", readonly=True)
    customers_done = fields.Integer(string="Customers Invoiced", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    invoice_ids = fields.Many2many("account.move", string="Invoices", readonly=True, copy=False)
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    error = fields.Text(readonly=True)
    failed_partner_ids = fields.Many2many(
        "res.partner",
        "support_invoice_run_failed_partner_rel",
        string="Customers Skipped",
        readonly=True,
        copy=False,
        help="Customers whose invoicing failed (see the errors); the others were invoiced. "
        "Retry them once the cause is fixed.",
    )
    retry_partner_ids = fields.Many2many(
        "res.partner",
        "support_invoice_run_retry_partner_rel",
        string="Customers Retried",
        readonly=True,
        copy=False,
    )

    @api.depends("date_from", "date_to")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Support invoicing %(start)s - %(end)s", start=run.date_from, end=run.date_to
            )

    @api.depends("customers_total", "customers_done", "state")
    def _compute_progress(self):
        for run in self:
            if run.state == "done":
                run.progress = 100.0
            elif run.customers_total:
                run.progress = 100.0 * run.customers_done / run.customers_total
            else:
                run.progress = 0.0

    @api.depends("invoice_ids")
    def _compute_invoice_count(self):
        for run in self:
            run.invoice_count = len(run.invoice_ids)

    # ------------------------------------------------------------------ fields only the run writes
    def _support_protected_fields(self):
        """Who runs it, where, and its progress: set by the server. The period, customers and
        types are the request, given at creation and fixed afterwards."""
        return super()._support_protected_fields() | {
            "state",
            "customers_total",
            "customers_done",
            "invoice_ids",
            "error",
            "failed_partner_ids",
            "retry_partner_ids",
            "user_id",
            "company_id",
            "company_ids",
        }

    def _support_create_only_fields(self):
        return super()._support_create_only_fields() | {
            "date_from",
            "date_to",
            "partner_ids",
            "type_ids",
        }

    @api.model_create_multi
    def create(self, vals_list):
        self.env["account.move"]._support_check_invoicing_rights()
        for vals in vals_list:
            self.env["support.ticket"]._support_check_invoice_period(
                fields.Date.to_date(vals.get("date_from")), fields.Date.to_date(vals.get("date_to"))
            )
        runs = super().create(vals_list)
        self._support_trigger_processing()
        return runs

    def action_view_invoices(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    def action_resume(self):
        """Queue a failed run again; it goes on with the customers not invoiced yet."""
        self._support_check_requeue("failed", self.env._("Only a failed run can be resumed."))
        self.sudo().write({"state": "queued", "error": False})
        self._support_trigger_processing()
        return True

    def action_retry_failed(self):
        """Queue the customers a finished run skipped again; the others stay invoiced."""
        self._support_check_requeue(
            "done_errors", self.env._("Only a run done with errors has customers to retry.")
        )
        for run in self.sudo():
            run.write(
                {
                    "state": "queued",
                    "retry_partner_ids": [fields.Command.set(run.failed_partner_ids.ids)],
                    "failed_partner_ids": [fields.Command.clear()],
                    "customers_done": run.customers_done - len(run.failed_partner_ids),
                    "error": False,
                }
            )
        self._support_trigger_processing()
        return True

    def _support_check_requeue(self, state, message):
        """Queueing runs again is for accountants with write access, and only from ``state``."""
        self.check_access("write")
        self.env["account.move"]._support_check_invoicing_rights()
        if any(run.state != state for run in self):
            raise UserError(message)

    @api.model
    def _support_trigger_processing(self):
        self.env.ref("support_timesheet.ir_cron_support_invoice_run")._trigger()

    # ------------------------------------------------------------------ scheduled job
    @api.model
    def _cron_process_runs(self):
        for run in self.sudo().search([("state", "in", ("queued", "running"))], order="id"):
            run._process()

    def _process(self):
        """Invoice the run's customers in committed steps, as the user who requested it."""
        self.ensure_one()
        in_cron = bool(self.env.context.get("cron_id"))
        tickets = (
            self.env["support.ticket"]
            .with_user(self.user_id)
            .with_context(allowed_company_ids=self.company_ids.ids or self.company_id.ids)
        )
        try:
            partners = tickets._support_billable_partners(
                self.retry_partner_ids or self.partner_ids,
                self.date_from,
                self.date_to,
                self.type_ids.ids or None,
            )
        except (UserError, AccessError) as error:
            # e.g. the requester lost access to one of the run's companies
            return self._fail(str(error), in_cron)
        self.write(
            {
                "state": "running",
                "customers_total": self.customers_done + len(partners),
                "error": False,
            }
        )
        for start in range(0, len(partners), RUN_BATCH_CUSTOMERS):
            batch = partners[start : start + RUN_BATCH_CUSTOMERS]
            moves, failures = self._invoice_batch(tickets, batch)
            vals = {
                "customers_done": self.customers_done + len(batch),
                "invoice_ids": [fields.Command.link(move.id) for move in moves],
            }
            if failures:
                vals["failed_partner_ids"] = [fields.Command.link(p.id) for p in failures]
                vals["error"] = "\n".join(
                    [self.error or "", *(f"{p.display_name}: {msg}" for p, msg in failures.items())]
                ).strip()
            self.write(vals)
            if in_cron:
                self.env["ir.cron"]._commit_progress(
                    len(batch), remaining=len(partners) - start - len(batch)
                )
        self.write(
            {
                "state": "done_errors" if self.failed_partner_ids else "done",
                "retry_partner_ids": [fields.Command.clear()],
            }
        )
        if self.failed_partner_ids:
            self.message_post(
                body=self.env._(
                    "Done with errors. Draft invoices created: %(count)s; customers skipped: "
                    "%(skipped)s (see the errors; retry them once fixed).",
                    count=len(self.invoice_ids),
                    skipped=", ".join(self.failed_partner_ids.mapped("display_name")),
                ),
                partner_ids=self.user_id.partner_id.ids,
            )
            if in_cron:
                self.env["ir.cron"]._commit_progress()
            return
        self.message_post(
            body=self.env._(
                "Done. Draft invoices created: %(count)s; customers invoiced: %(customers)s.",
                count=len(self.invoice_ids),
                customers=self.customers_total,
            ),
            partner_ids=self.user_id.partner_id.ids,
        )
        if in_cron:
            self.env["ir.cron"]._commit_progress()

    def _invoice_batch(self, tickets, batch):
        """Invoice a batch of customers in one step; when the step fails, each customer in a
        step of its own, so that one failing customer is skipped (with its error) and the
        others are invoiced. Returns (invoices, {customer: error message})."""
        args = (self.date_from, self.date_to, self.type_ids.ids or None)
        try:
            with self.env.cr.savepoint():
                return tickets._support_create_invoices(batch, *args), {}
        except (UserError, AccessError, errors.LockNotAvailable) as error:
            if len(batch) == 1:
                return self.env["account.move"], {batch: self._error_message(error)}
        moves = self.env["account.move"]
        failures = {}
        for partner in batch:
            try:
                with self.env.cr.savepoint():
                    moves |= tickets._support_create_invoices(partner, *args)
            except (UserError, AccessError, errors.LockNotAvailable) as error:
                failures[partner] = self._error_message(error)
        return moves, failures

    def _error_message(self, error):
        if isinstance(error, errors.LockNotAvailable):
            return self.env._(
                "Another invoicing run is billing the same time; retry when it has finished."
            )
        return str(error)

    def _fail(self, message, in_cron):
        _logger.warning("Support invoicing run %s failed: %s", self.id, message)
        self.write({"state": "failed", "error": message})
        self.message_post(body=message, partner_ids=self.user_id.partner_id.ids)
        if in_cron:
            self.env["ir.cron"]._commit_progress()
