// Messages above the views: rejected files, failed commands, repaired settings.

import { el } from "./dom.js";

const container = () => document.getElementById("notices");

/** How long a message that needs no action stays, in milliseconds. */
const INFO_NOTICE_MS = 10000;

/**
 * Shows a dismissible message.
 * @param {"error" | "warning" | "info"} kind
 * @param {string} title
 * @param {string[]} [lines] details, one list item each
 */
export function showNotice(kind, title, lines = []) {
  const body = el("div", { className: "notice-body" }, [
    el("p", { text: title }),
    lines.length > 0 ? el("ul", {}, lines.map((line) => el("li", { text: line }))) : null,
  ]);
  const dismiss = el("button", { type: "button", text: "Dismiss", "aria-label": `Dismiss: ${title}` });
  const notice = el("div", { className: "notice", "data-kind": kind, role: kind === "error" ? "alert" : "status" }, [
    body,
    dismiss,
  ]);
  dismiss.addEventListener("click", () => {
    // Focus moves to the next message, or to the page without scrolling it, so the
    // controls under the pointer stay where they were.
    const next = notice.nextElementSibling ?? notice.previousElementSibling;
    notice.remove();
    if (next) next.querySelector("button").focus({ preventScroll: true });
    else document.getElementById("main").focus({ preventScroll: true });
  });
  container().append(notice);
  if (kind === "info") {
    setTimeout(() => {
      if (!notice.contains(document.activeElement)) notice.remove();
    }, INFO_NOTICE_MS);
  }
  return notice;
}

/** Shows the error of a failed command. */
export function showCommandError(action, error) {
  showNotice("error", `${action} failed`, [error && error.message ? error.message : String(error)]);
}
