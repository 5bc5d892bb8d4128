// Building DOM nodes without HTML strings (the CSP allows no inline markup
// tricks, and text is always set as text, never parsed).

/**
 * el("button", {class: "primary", type: "button", text: "Save"}, child, ...)
 * Attributes that are undefined, null or false are left out; true sets an
 * empty attribute; "class" and "text" set className and textContent.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/**
 * A button that calls onClick; the app's one way to make one. label: an
 * aria-label when the text alone says too little ("Go there: ...").
 */
export function button(text, onClick, { variant = "", label = null, id = null, describedBy = null, type = "button" } = {}) {
  const node = el("button", {
    type, class: `button ${variant}`.trim(), "aria-label": label, id, text, "aria-describedby": describedBy,
  });
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

/** Show a screen in container: its nodes replace what was there, focus goes to its heading. */
export function showIn(container, ...nodes) {
  container.replaceChildren(...nodes);
  const heading = container.querySelector("h1");
  if (heading) heading.focus();
  window.scrollTo(0, 0);
}
