from odoo.tests import HttpCase, tagged

from .common import SupportPortalFixture


@tagged("post_install", "-at_install")
class TestPortalPerformance(SupportPortalFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_portal_fixture()

    def _create_tickets(self, count):
        categories = [self.cat_bug_fix, self.cat_db_correction, self.cat_code_upgrade]
        requesters = [self.key_a, self.user_a]
        self.env["support.ticket"].create(
            [
                {
                    "name": f"Load {index}",
                    "partner_id": requesters[index % 2].id,
                    "category_id": categories[index % 3].id,
                    "request_date": self.today,
                    "company_id": self.company.id,
                }
                for index in range(count)
            ]
        )

    def _list_queries(self):
        url = "/my/support/tickets?groupby=category_id"
        for _warmup in range(2):
            self.assertEqual(self.url_open(url).status_code, 200)
        self.env.flush_all()
        count0 = self.cr.sql_log_count
        response = self.url_open(url)
        count = self.cr.sql_log_count - count0
        self.assertEqual(response.status_code, 200)
        return count, response.text.count("o_support_ticket_row")

    def test_ticket_list_query_count_does_not_grow(self):
        self.authenticate("sp_key_a", "sp_key_a-pw")
        self._create_tickets(18)  # + the 2 tickets of the fixture: 20
        count_20, rows = self._list_queries()
        self.assertEqual(rows, 20)
        self._create_tickets(180)  # 200 tickets, 80 on the first page
        url = "/my/support/tickets?groupby=category_id"
        self.url_open(url)
        with self.assertQueryCount(count_20):
            response = self.url_open(url)
        self.assertEqual(response.text.count("o_support_ticket_row"), 80)
        count_200, _rows = self._list_queries()
        self.assertEqual(count_200, count_20, "the ticket list must not grow with the tickets")
