import { registry } from "@web/core/registry";

const TITLE = "Tour: printer driver keeps failing";

registry.category("web_tour.tours").add("support_portal_new_billable", {
    url: "/my/support/tickets/new",
    steps: () => [
        {
            content: "Pick a service category",
            trigger: "select[name='category_id']",
            run: "selectByIndex 1",
        },
        {
            content: "The server's decision is shown: billable",
            trigger: ".o_support_decision [data-coverage='billable'] .o_support_decision_label",
        },
        {
            content: "Give the request a title",
            trigger: "input[name='name']",
            run: `edit ${TITLE}`,
        },
        {
            content: "Describe the request",
            trigger: "textarea[name='description']",
            run: "edit The driver of the office printer fails after every update.",
        },
        {
            content: "Accept the charge",
            trigger: ".o_support_accept:not(.d-none) input[name='charge_accepted']",
            run: "check",
        },
        {
            content: "Submit",
            trigger: "button.o_support_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The ticket page keeps the acceptance",
            trigger: ".o_support_portal_ticket .o_support_charge_accepted",
        },
        {
            content: "Back to the list",
            trigger: ".breadcrumb a[href='/my/support/tickets']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new request is in the list",
            trigger: `.o_support_ticket_row .o_support_ticket_name:contains('${TITLE}')`,
        },
    ],
});
