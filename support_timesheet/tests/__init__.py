from . import test_billing
from . import test_packs
from . import test_invoicing
from . import test_invoice_run
from . import test_fees
from . import test_security
from . import test_concurrency
from . import test_demo

from . import test_translation
from . import test_books
from . import test_authority
from . import test_credit_notes
from . import test_settlement
from . import test_concurrency_money
from . import test_fee_credits
from . import test_profitability
from . import test_statement
