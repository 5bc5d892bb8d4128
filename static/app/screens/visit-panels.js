// Parts of the visit screen drawn from what they are given (visit.js owns the
// open visit): the team lead's decision, the buttons to each section, the
// list of errors with a way to each, and the check before submitting.

import { flagsFor } from "../flags.js";
import { buildContext } from "../rules/context.js";
import { submitSummary } from "../summary.js";
import { button, el } from "../dom.js";
import { $, dateTimeOf } from "./ui.js";

// The "Withdraw submission" button, made once, shown for a submitted visit nobody can edit.
export function renderWithdraw(draft, { editable, needsAttention, onWithdraw }) {
  let node = document.getElementById("withdraw");
  if (!node) {
    node = button("Withdraw submission", onWithdraw, { variant: "secondary", id: "withdraw" });
    $("submit").after(node);
  }
  node.hidden = editable || needsAttention || draft.status !== "submitted";
}

const DECISION_WORDS = { approve: "approved it", return: "returned it for changes", escalate: "escalated it" };

// The team lead's latest decision on this checklist, with their comment.
export function renderReview(review) {
  const box = $("form-review");
  if (!review) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  const who = review.lead || "The team lead";
  const what = DECISION_WORDS[review.decision] || `decided: ${review.decision}`;
  const when = review.decided_at ? ` on ${dateTimeOf(review.decided_at)}` : "";
  box.replaceChildren(
    el("p", {}, el("strong", { text: `${who} ${what}${when}.` })),
    review.comment ? el("p", { class: "review-comment", text: review.comment }) : null,
  );
  box.hidden = false;
}


// Scroll to a section and put focus on its first field.
function goToSection(fieldset) {
  fieldset.scrollIntoView({ block: "start" });
  const first = fieldset.querySelector("input:not([type=hidden]), textarea, button");
  if (first) first.focus({ preventScroll: true });
}

// Buttons that jump to each section (no URL fragments: nothing about the visit in the URL).
export function renderSectionNav(form) {
  const sections = [...form.element.querySelectorAll("fieldset.section")];
  const buttons = sections.map((fieldset) => {
    const legend = fieldset.querySelector("legend");
    return button(legend.textContent, () => goToSection(fieldset), { variant: "secondary small" });
  });
  $("section-nav").replaceChildren(...buttons);
  $("section-nav").hidden = sections.length < 2;
}

/** The form's errors, at each field and in a list at the top, each a way to its field. */
export function showFormErrors(form, errors, { heading = "There is a problem" } = {}) {
  form.clearErrors();
  const unmatched = form.showErrors(errors);
  const summary = $("form-errors");
  const list = el("ul");
  for (const error of errors) {
    const item = el("li");
    if (unmatched.includes(error)) {
      item.textContent = error.message || String(error.field);
    } else {
      item.append(button(error.message || "Check this answer", () => form.focusField(error.field), { variant: "link" }));
    }
    list.append(item);
  }
  summary.replaceChildren(el("h2", { text: heading }), list);
  summary.hidden = false;
}

// What may be left open, each item a way to the place to fix it; then confirm or go back.
// confirm(): send it; hide(): back to the visit (visit.js hideSubmitSummary).
export function showSubmitSummary(visit, { confirm, hide }) {
  const { form, draft, template, rulesInput, household } = visit;
  const answers = form.answers();
  const flags = flagsFor(template, buildContext({ ...rulesInput, visit: { ...draft, answers } }));
  const items = submitSummary({ template, answers, flags, household });
  let box = document.getElementById("submit-summary");
  if (!box) {
    box = el("section", { id: "submit-summary", class: "notice submit-summary", "aria-labelledby": "submit-summary-title", tabindex: "-1" });
    $("checklist-form").querySelector(".form-actions").before(box);
  }
  const goTo = (item) => () => {
    hide();
    if (item.path) form.focusField(item.path);
    else if (item.section) {
      const fieldset = form.element.querySelector(`fieldset.section[data-section="${item.section}"]`);
      if (fieldset) goToSection(fieldset);
    }
  };
  box.replaceChildren(
    el("h2", { id: "submit-summary-title", text: "Before you submit" }),
    items.length
      ? el("p", { text: `${items.length} ${items.length === 1 ? "thing is" : "things are"} left open. You can still send it, or go to each and fix it first.` })
      : el("p", { text: "Nothing left open: every urgent flag has an action, every section has answers and every child was seen." }),
    items.length ? el("ul", { class: "summary-items" }, ...items.map((item) => el("li", { "data-kind": item.kind },
      el("span", { text: item.text }), " ",
      (item.path || item.section) ? button("Go there", goTo(item), { variant: "secondary small", label: `Go there: ${item.text}` }) : null))) : null,
    el("div", { class: "actions" },
      button("Send to the team lead", confirm, { id: "submit-confirm" }),
      button("Back to the visit", () => { hide(); $("submit").focus(); }, { variant: "secondary" })),
  );
  box.hidden = false;
  $("submit").hidden = true;
  $("save-draft").hidden = true;
  box.focus();
}
