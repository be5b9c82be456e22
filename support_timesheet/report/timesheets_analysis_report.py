"""hr_timesheet's timesheet analysis shows each line's cost: like the line's own cost, for
managers and accountants only (account_analytic_line.COST_GROUPS)."""

from odoo import fields, models

from ..models.account_analytic_line import COST_GROUPS


class TimesheetsAnalysisReport(models.Model):
    _inherit = "timesheets.analysis.report"

    amount = fields.Monetary(groups=COST_GROUPS)
