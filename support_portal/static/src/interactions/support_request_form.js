import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

/**
 * New support request: shows what the server decides for the chosen category before the
 * customer submits. The decision comes from the server (support.ticket._decide_coverage);
 * this script only displays it.
 */
export class SupportRequestForm extends Interaction {
    static selector = ".o_support_request_form";
    dynamicContent = {
        "select[name='category_id']": { "t-on-change": this.onCategoryChange },
    };

    setup() {
        this.decisionEl = this.el.querySelector(".o_support_decision");
        this.acceptEl = this.el.querySelector(".o_support_accept");
        this.checkboxEl = this.el.querySelector("input[name='charge_accepted']");
    }

    async onCategoryChange(ev) {
        const categoryId = ev.currentTarget.value;
        this.checkboxEl.checked = false;
        this.acceptEl.classList.add("d-none");
        this.decisionEl.replaceChildren();
        if (!categoryId) {
            return;
        }
        const decision = await this.waitFor(
            rpc("/my/support/tickets/decide", { category_id: parseInt(categoryId) })
        );
        this.renderDecision(decision);
    }

    renderDecision(decision) {
        this.decisionEl.replaceChildren();
        if (decision.error) {
            const errorEl = document.createElement("div");
            errorEl.className = "alert alert-danger mb-0";
            errorEl.textContent = decision.error;
            this.decisionEl.append(errorEl);
            return;
        }
        const boxEl = document.createElement("div");
        boxEl.className = `alert mb-0 ${
            decision.coverage === "covered" ? "alert-success" : "alert-warning"
        }`;
        boxEl.dataset.coverage = decision.coverage;
        const labelEl = document.createElement("strong");
        labelEl.className = "o_support_decision_label";
        labelEl.textContent = decision.coverage_label;
        boxEl.append(labelEl);
        for (const line of decision.lines) {
            const lineEl = document.createElement("p");
            lineEl.className = "mb-1";
            lineEl.textContent = line;
            boxEl.append(lineEl);
        }
        const reasonEl = document.createElement("p");
        reasonEl.className = "small text-muted mb-0";
        reasonEl.textContent = decision.reason;
        boxEl.append(reasonEl);
        this.decisionEl.append(boxEl);
        this.acceptEl.classList.toggle("d-none", !decision.requires_acceptance);
    }
}

registry.category("public.interactions").add("support_portal.request_form", SupportRequestForm);
