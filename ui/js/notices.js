// Messages above the views: rejected files, failed commands, repaired settings.

import { el } from "./dom.js";

const container = () => document.getElementById("notices");

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
    notice.remove();
    document.getElementById("main").focus();
  });
  container().append(notice);
  return notice;
}

/** Shows the error of a failed command. */
export function showCommandError(action, error) {
  showNotice("error", `${action} failed`, [error && error.message ? error.message : String(error)]);
}
