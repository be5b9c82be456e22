from . import test_coverage_matrix
from . import test_coverage_changes
from . import test_agreement
from . import test_security
from . import test_translation
from . import test_demo
from . import test_authority
from . import test_mail_intake
