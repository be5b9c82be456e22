from . import test_dashboard
from . import test_translation
