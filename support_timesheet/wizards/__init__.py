from . import support_invoice_create
