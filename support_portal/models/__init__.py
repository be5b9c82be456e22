from . import support_agreement
from . import support_hour_pack
from . import support_ticket
