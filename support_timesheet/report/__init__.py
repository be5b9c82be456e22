from . import support_agreement_profitability
from . import support_hour_pack_revenue
from . import timesheets_analysis_report
