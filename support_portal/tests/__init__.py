from . import test_one_rule
from . import test_portal_models
from . import test_portal_performance
from . import test_portal_routes
from . import test_portal_tour
from . import test_translation
from . import test_portal_authority
from . import test_portal_concurrency
