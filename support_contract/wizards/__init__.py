from . import support_sla_deadline_change
from . import support_holiday_generate
