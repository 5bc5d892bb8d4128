// The visit form on a tablet (issue 16 item 4): the bar that stays at the top while
// answering — the section list and a compact flags summary that opens to the reasons.
// The full flags panel (main.js renderFlags) stays where it was, with the answers and
// suggested actions; this bar only keeps the count and the reasons in view.

import { el } from "./dom.js";
import { SEVERITY_WORDS } from "./flags.js";

const ORDER = ["urgent", "action", "review"];

/**
 * Fill `holder` (#flags-compact) with "Flags: 1 urgent, 2 action" and, once opened,
 * the reasons. flags: [{severity, reason}]. The reasons are written only while open,
 * so the words are not on the page twice for a screen reader moving through the form.
 */
export function renderFlagsSummary(holder, flags) {
  holder.hidden = flags.length === 0;
  const counts = ORDER.map((s) => [s, flags.filter((f) => f.severity === s).length]).filter(([, n]) => n);
  const words = counts.map(([s, n]) => `${n} ${(SEVERITY_WORDS[s] || s).toLowerCase()}`).join(", ");
  let details = holder.querySelector("details");
  if (!details) {
    details = el("details", {}, el("summary", {}), el("ul", { class: "flags-compact-list" }));
    details.addEventListener("toggle", () => fill(details));
    holder.replaceChildren(details);
  }
  details.flags = flags;
  details.querySelector("summary").textContent = `Flags: ${words || "none"} (show reasons)`;
  holder.dataset.count = String(flags.length);
  fill(details);
}

function fill(details) {
  const list = details.querySelector("ul");
  list.replaceChildren(...(details.open ? details.flags.map((f) => el("li", { class: `severity-${f.severity}` },
    el("strong", { text: `${SEVERITY_WORDS[f.severity] || f.severity}: ` }), f.reason)) : []));
}
