from . import support_invoice_create
from . import support_approval_record
