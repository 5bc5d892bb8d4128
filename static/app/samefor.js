// "Same as for Mia" (issue 16 item 4, taps): on the People screen a person's details
// are asked once per child of the household (relationship, parental responsibility,
// cares unsupervised, seen, where the details came from). An adult usually stands in
// the same relation to each child, so each child after the first gets one button
// that copies the first child's answers into it; she then changes what differs.
// Nothing is saved by the copy: the form is saved as usual.

import { el } from "./dom.js";

/**
 * Add the buttons to a block of per-child fieldsets (`fieldset.group-instance` with
 * `data-child`, inputs named `child.<id>.<field>`). makeButton(text, onClick, options)
 * is the screen's own button maker. Returns the number of buttons added.
 */
export function addSameAsButtons(block, { makeButton }) {
  const rows = [...block.querySelectorAll(":scope > fieldset.group-instance[data-child]")];
  if (rows.length < 2) return 0;
  const [first, ...rest] = rows;
  const firstName = first.querySelector("legend")?.textContent || "the first child";
  for (const row of rest) {
    const note = el("p", { class: "same-as-note", role: "status" });
    const copy = () => {
      const copied = copyAnswers(first, row);
      note.textContent = copied
        ? `${copied} ${copied === 1 ? "answer" : "answers"} copied from ${firstName}. Change any that differ.`
        : `Nothing to copy: nothing is answered for ${firstName} yet.`;
    };
    const legend = row.querySelector(":scope > legend");
    const holder = el("div", { class: "actions same-as" },
      makeButton(`Same as for ${firstName}`, copy, { variant: "secondary" }));
    if (legend) legend.after(holder, note);
    else row.prepend(holder, note);
  }
  return rest.length;
}

/** Copy the answered inputs of one child's fieldset into another's; the count copied. */
export function copyAnswers(from, to) {
  const fromKey = `child.${from.dataset.child}.`;
  const toKey = `child.${to.dataset.child}.`;
  let copied = 0;
  for (const input of from.querySelectorAll("input, textarea, select")) {
    if (!input.name || !input.name.startsWith(fromKey)) continue;
    const name = toKey + input.name.slice(fromKey.length);
    if (input.type === "radio" || input.type === "checkbox") {
      if (!input.checked) continue;
      const target = to.querySelector(`input[name="${CSS.escape(name)}"][value="${CSS.escape(input.value)}"]`);
      if (!target) continue;
      copied += 1;
      if (!target.checked) {
        target.checked = true;
        changed(target);
      }
    } else if (input.value !== "") {
      const target = to.querySelector(`[name="${CSS.escape(name)}"]`);
      if (!target) continue;
      copied += 1;
      if (target.value !== input.value) {
        target.value = input.value;
        changed(target);
      }
    }
  }
  return copied;
}

// The form reads its answers and shows or hides fields (show_if) on input and change.
function changed(target) {
  target.dispatchEvent(new Event("input", { bubbles: true }));
  target.dispatchEvent(new Event("change", { bubbles: true }));
}
