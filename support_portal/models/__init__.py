from . import ir_http
from . import support_agreement
from . import support_hour_pack
from . import support_ticket
from . import support_ticket_desk
from . import support_ticket_notify
from . import support_hour_pack_notify
from . import support_ticket_sla
