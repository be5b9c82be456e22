from odoo import models
from odoo.http import DEFAULT_MAX_CONTENT_LENGTH


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def get_frontend_session_info(self):
        """The portal's pages know Odoo's upload limit, as the web client does: Odoo's file size
        check (``checkFileSize``) then refuses a too large file before it is sent (the server
        refuses it anyway: ``ir.http._pre_dispatch``)."""
        info = super().get_frontend_session_info()
        value = self.env["ir.config_parameter"].sudo().get_param("web.max_file_upload_size")
        try:
            info["max_file_upload_size"] = int(value) if value else DEFAULT_MAX_CONTENT_LENGTH
        except ValueError:
            info["max_file_upload_size"] = DEFAULT_MAX_CONTENT_LENGTH
        return info
