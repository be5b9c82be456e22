from . import account_move_line
from . import res_partner
from . import support_agreement_type
from . import support_hour_pack
from . import support_ticket
