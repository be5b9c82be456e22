"""A statement's stored PDF at its own address (``support.statement.access_url``): the backend's
*Download PDF* and the portal link to it."""

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SupportStatementController(CustomerPortal):
    @http.route(
        ["/my/support/statements/<int:statement_id>"], type="http", auth="public", website=True
    )
    def portal_my_support_statement(self, statement_id, access_token=None, download=None, **kw):
        """The PDF as it was sent, for whoever reads the statement (its record rules: the
        customer's readers of all requests once sent, the statement's managers and
        accountants) or holds its token; 404 for no such statement, 403 for anyone else (a
        visitor not logged in is asked to log in first)."""
        try:
            statement = self._document_check_access(
                "support.statement", statement_id, access_token=access_token
            )
        except MissingError as error:
            raise NotFound() from error
        except AccessError as error:
            if request.env.user._is_public() and not access_token:
                return request.redirect_query(
                    "/web/login", {"redirect": request.httprequest.full_path}
                )
            raise Forbidden() from error
        attachment = statement.attachment_id
        if not attachment:
            raise NotFound()
        return (
            request.env["ir.binary"]
            ._get_stream_from(attachment)
            .get_response(as_attachment=download == "1")
        )
