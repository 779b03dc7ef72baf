// Small helpers for building elements. Text always goes in through textContent, never
// innerHTML, so file names and transcript text cannot inject markup.

/**
 * Creates an element with attributes and children.
 * @param {string} tag
 * @param {Record<string, string | boolean | number | null | undefined>} [attributes]
 * @param {Array<Node | string | null | undefined>} [children]
 */
export function el(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = String(value);
    else if (name === "className") element.className = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(child);
  }
  return element;
}

/** Replaces every child of `parent` with `children`. */
export function replaceChildren(parent, children) {
  parent.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

/** Returns the message of a command error (`{ code, message }`) or of a thrown Error. */
export function errorMessage(error) {
  if (error && typeof error === "object" && "message" in error) return String(error.message);
  return String(error);
}
