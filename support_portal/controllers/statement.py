from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SupportStatementPortal(CustomerPortal):
    """Monthly support statements in the portal: the list of the customer's sent statements
    its contact reads (each PDF at ``/my/support/statements/<id>``, support_timesheet)."""

    @http.route(["/my/support/statements"], type="http", auth="user", website=True)
    def portal_my_support_statements(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "support_statement",
                "statements": request.env["support.statement"].search([]),
            }
        )
        return request.render("support_portal.portal_my_support_statements", values)
