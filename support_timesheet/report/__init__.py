from . import support_agreement_profitability
