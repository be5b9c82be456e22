from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SupportStatementPortal(CustomerPortal):
    """Monthly support statements in the portal: the customer's own, as they were sent."""

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

    @http.route(
        ["/my/support/statements/<int:statement_id>"], type="http", auth="public", website=True
    )
    def portal_my_support_statement(self, statement_id, access_token=None, **kw):
        """The stored PDF of a statement, for its customer's contacts (or the token's holder)."""
        try:
            statement = self._document_check_access(
                "support.statement", statement_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        attachment = statement.sudo().attachment_id
        if not attachment:
            return request.redirect("/my/support/statements")
        return (
            request.env["ir.binary"]
            ._get_stream_from(attachment)
            .get_response(as_attachment=kw.get("download") == "1")
        )
