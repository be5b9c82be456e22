from odoo.tests import TransactionCase, tagged

from odoo.addons.support_contract.tests.translation import assert_translation_complete


@tagged("post_install", "-at_install")
class TestTranslation(TransactionCase):
    def test_swedish_complete(self):
        assert_translation_complete(self, "support_dashboard")
