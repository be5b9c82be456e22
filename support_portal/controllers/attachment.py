from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.mail.controllers.attachment import AttachmentController
from odoo.addons.mail.tools.discuss import Store

# The portal's new-request form uploads for the request being written: no ticket exists yet.
NEW_REQUEST_THREAD = ("support.ticket", "0")


class SupportAttachmentController(AttachmentController):
    @http.route()
    def mail_attachment_upload(self, ufile, thread_id, thread_model, is_pending=False, **kwargs):
        """Odoo's upload route, also for the portal's new-request form (``support.ticket``,
        thread 0): the file becomes a pending attachment with its ownership token, answered
        as Odoo answers the portal composer; the request links it when it is submitted."""
        if (thread_model, str(thread_id)) != NEW_REQUEST_THREAD:
            return super().mail_attachment_upload(
                ufile, thread_id, thread_model, is_pending=is_pending, **kwargs
            )
        try:
            attachment = request.env["support.ticket"]._portal_upload_pending_attachment(
                ufile.filename, ufile.read()
            )
        except (AccessError, UserError) as error:
            return request.make_json_response({"error": str(error)})
        store = Store().add(
            attachment, extra_fields=request.env["ir.attachment"]._get_store_ownership_fields()
        )
        return request.make_json_response(
            {"data": {"store_data": store.get_result(), "attachment_id": attachment.id}}
        )
