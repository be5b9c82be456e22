from lxml import etree

from odoo.tests import tagged

from .common import SupportTimesheetCase

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


@tagged("post_install", "-at_install")
class TestEInvoice(SupportTimesheetCase):
    """A support invoice exported by Odoo's own Peppol BIS Billing 3 generator
    (account_edi_ubl_cii, installed in the test database only)."""

    def test_peppol_bis3_export(self):
        self.assertIn(
            "account.edi.xml.ubl_bis3",
            self.env.registry,
            "account_edi_ubl_cii must be installed in the test database (scripts/lib.sh)",
        )
        company = self.env.ref("support_contract.company_cloudworkz")
        company.vat = company.vat or "SE556677889901"
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        customer = self._customer(
            "Kund Peppol AB",
            country_id=self.env.ref("base.se").id,
            vat="SE556000016701",
            street="Storgatan 1",
            zip="111 22",
            city="Stockholm",
            support_invoice_ref="PO 2026-117",
        )
        contact = self._contact(customer, "Petra Peppol")
        employee = self.env.ref("support_timesheet.employee_consultant")
        tickets = self._ticket(contact, company_id=company.id, name="Order import") | self._ticket(
            contact, company_id=company.id, name="Stock report"
        )
        for ticket, hours in zip(tickets, (1.5, 2.0), strict=True):
            env["account.analytic.line"].create(
                {
                    "support_ticket_id": ticket.id,
                    "employee_id": employee.id,
                    "unit_amount": hours,
                    "date": self.month_start,
                    "name": "Work",
                }
            )
        move = env["support.ticket"]._support_create_invoices(
            customer, self.month_start, self.month_start.replace(day=28)
        )
        move.invoice_date = self.month_start
        move.action_post()
        xml, errors = env["account.edi.xml.ubl_bis3"]._export_invoice(move)
        self.assertFalse(errors, "Odoo's Peppol BIS 3 checks")
        root = etree.fromstring(xml)
        # Odoo's generator sends the invoice's ref as the purchase order reference, which
        # Peppol accepts as the buyer's reference (PEPPOL-EN16931-R003).
        self.assertEqual(root.findtext("cac:OrderReference/cbc:ID", namespaces=NS), "PO 2026-117")
        lines = root.findall("cac:InvoiceLine", namespaces=NS)
        self.assertEqual(len(lines), 2, "one line per ticket")
        names = [line.findtext("cac:Item/cbc:Description", namespaces=NS) for line in lines]
        for ticket in tickets:
            self.assertEqual(len([n for n in names if ticket.number in (n or "")]), 1, names)
        quantities = sorted(
            float(line.findtext("cbc:InvoicedQuantity", namespaces=NS)) for line in lines
        )
        self.assertEqual(quantities, [1.5, 2.0])

        # Its credit note (Odoo's reversal wizard) exports as valid too, with the customer's
        # reference, the reason in its note and one line per ticket.
        reversal = (
            env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "reason": "Fel timpris", "date": self.today})
        )
        credit = env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit.action_post()
        xml, errors = env["account.edi.xml.ubl_bis3"]._export_invoice(credit)
        self.assertFalse(errors, "Odoo's Peppol BIS 3 checks")
        root = etree.fromstring(xml)
        self.assertEqual(root.findtext("cac:OrderReference/cbc:ID", namespaces=NS), "PO 2026-117")
        self.assertIn("Fel timpris", root.findtext("cbc:Note", namespaces=NS))
        self.assertEqual(len(root.findall("cac:CreditNoteLine", namespaces=NS)), 2)
