import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
import { post } from "@web/core/network/http_service";
import { checkFileSize } from "@web/core/utils/files";
import { _t } from "@web/core/l10n/translation";

/**
 * New support request: shows what the server decides for the chosen category before the
 * customer submits. The decision comes from the server (support.ticket._decide_coverage);
 * this script only displays it.
 *
 * Files go through Odoo's portal attachment flow: Odoo's size check, then an upload to
 * /mail/attachment/upload as pending attachments of the request being written
 * (support.ticket, thread 0); the form submits their ids with their ownership tokens, and the
 * server links them to the new request after checking each token.
 */
export class SupportRequestForm extends Interaction {
    static selector = ".o_support_request_form";
    dynamicContent = {
        "select[name='category_id']": { "t-on-change": this.onCategoryChange },
        ".o_support_attach_btn": { "t-on-click": this.onAttachClick },
        ".o_support_file_input": { "t-on-change": this.locked(this.onFilesChange, true) },
        ".o_support_attachment_delete": { "t-on-click.prevent.withTarget": this.onDeleteClick },
    };

    setup() {
        this.decisionEl = this.el.querySelector(".o_support_decision");
        this.acceptEl = this.el.querySelector(".o_support_accept");
        this.checkboxEl = this.el.querySelector("input[name='charge_accepted']");
        this.fileInputEl = this.el.querySelector(".o_support_file_input");
        this.attachmentsEl = this.el.querySelector(".o_support_pending_attachments");
        this.attachmentErrorEl = this.el.querySelector(".o_support_attachment_error");
        this.submitEl = this.el.querySelector(".o_support_submit");
    }

    onAttachClick() {
        this.fileInputEl.click();
    }

    async onFilesChange() {
        const errors = [];
        this.submitEl.disabled = true;
        for (const file of [...this.fileInputEl.files]) {
            if (!checkFileSize(file.size, this.services.notification)) {
                continue;
            }
            let result;
            try {
                result = await this.waitFor(
                    post("/mail/attachment/upload", {
                        csrf_token: odoo.csrf_token,
                        is_pending: true,
                        thread_model: "support.ticket",
                        thread_id: 0,
                        ufile: file,
                    })
                );
            } catch {
                result = { error: _t("Could not save file %s", file.name) };
            }
            if (result.error) {
                errors.push(result.error);
                continue;
            }
            const attachment = result.data.store_data["ir.attachment"].find(
                (record) => record.id === result.data.attachment_id
            );
            this.addAttachment(attachment);
        }
        this.attachmentErrorEl.textContent = errors.join(" ");
        this.attachmentErrorEl.classList.toggle("d-none", !errors.length);
        // Any later selection triggers a change, even of the same files.
        this.fileInputEl.value = null;
        this.submitEl.disabled = false;
    }

    addAttachment(attachment) {
        const badgeEl = document.createElement("div");
        badgeEl.className = "badge text-bg-light o_support_pending_attachment";
        badgeEl.dataset.id = attachment.id;
        for (const [name, value] of [
            ["attachment_ids", attachment.id],
            ["attachment_tokens", attachment.ownership_token],
        ]) {
            const inputEl = document.createElement("input");
            inputEl.type = "hidden";
            inputEl.name = name;
            inputEl.value = value;
            badgeEl.append(inputEl);
        }
        const iconEl = document.createElement("i");
        iconEl.className = "fa fa-paperclip me-1";
        const nameEl = document.createElement("span");
        nameEl.className = "o_support_pending_attachment_name";
        nameEl.textContent = attachment.name;
        const deleteEl = document.createElement("button");
        deleteEl.type = "button";
        deleteEl.className = "btn btn-sm btn-link p-0 ms-1 o_support_attachment_delete";
        deleteEl.innerHTML = '<i class="fa fa-times"></i>';
        badgeEl.append(iconEl, nameEl, deleteEl);
        this.insert(badgeEl, this.attachmentsEl);
    }

    onDeleteClick(ev, currentTargetEl) {
        // The file is not sent with the request (it stays an unlinked pending upload).
        currentTargetEl.closest(".o_support_pending_attachment").remove();
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
