from . import support_agreement_type
from . import support_service_category
from . import support_coverage_rule
from . import support_agreement
from . import support_ticket_stage
from . import support_ticket
from . import support_hour_pack
