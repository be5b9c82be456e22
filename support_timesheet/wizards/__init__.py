from . import support_invoice_create
from . import support_approval_record
from . import account_move_reversal
from . import support_write_off
from . import support_fee_waive
from . import support_statement_create
from . import support_pack_revenue_recognise
