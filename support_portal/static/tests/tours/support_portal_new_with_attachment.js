import { registry } from "@web/core/registry";

const TITLE = "Tour: scanner stopped sending invoices";

registry.category("web_tour.tours").add("support_portal_new_with_attachment", {
    url: "/my/support/tickets/new",
    steps: () => [
        {
            content: "Pick a service category",
            trigger: "select[name='category_id']",
            run: "selectByIndex 1",
        },
        {
            content: "The server's decision is shown",
            trigger: ".o_support_decision [data-coverage] .o_support_decision_label",
        },
        {
            content: "Give the request a title",
            trigger: "input[name='name']",
            run: `edit ${TITLE}`,
        },
        {
            content: "Describe the request",
            trigger: "textarea[name='description']",
            run: "edit Since Monday the scanner's invoices never arrive.",
        },
        {
            content: "Mark it urgent",
            trigger: "select[name='priority']",
            run: "select 2",
        },
        {
            content: "Attach a file over Odoo's upload limit (set by the test)",
            trigger: "button.o_support_attach_btn",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(new File(["x".repeat(2000)], "huge.log", { type: "text/plain" }));
                const inputEl = document.querySelector("input.o_support_file_input");
                inputEl.files = transfer.files;
                inputEl.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Odoo's size check refuses it with its message; nothing is uploaded",
            trigger: ".o_notification:contains('larger than the maximum allowed file size')",
        },
        {
            content: "Attach a log file (a browser test cannot pick a local file: set it)",
            trigger: "button.o_support_attach_btn",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(
                    new File(["scan failed: timeout"], "scanner-log.txt", { type: "text/plain" })
                );
                const inputEl = document.querySelector("input.o_support_file_input");
                inputEl.files = transfer.files;
                inputEl.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Odoo's upload answered: the file waits with its ownership token",
            trigger: ".o_support_pending_attachment:contains('scanner-log.txt')",
        },
        {
            content: "Accept the charge when the request is billable",
            trigger: ".o_support_request_form",
            run() {
                const checkbox = document.querySelector(
                    ".o_support_accept:not(.d-none) input[name='charge_accepted']"
                );
                if (checkbox) {
                    checkbox.checked = true;
                }
            },
        },
        {
            content: "Submit",
            trigger: "button.o_support_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The ticket page shows the attached file in its messages",
            trigger: ".o_support_attachment_list .o_support_attachment:contains('scanner-log.txt')",
        },
        {
            content: "The customer can close the request as solved",
            trigger: "button.o_support_close",
        },
    ],
});
