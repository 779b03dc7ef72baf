// The Models view: the catalog and the installed models, with fetching and choosing.

import { commands, events, unwrap } from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { formatBytes } from "./format.js";
import { onModelsChanged } from "./model-status.js";
import { showCommandError } from "./notices.js";

const STEP_LABELS = { downloading: "Downloading", converting: "Converting", verifying: "Checking" };

/** Latest download progress by model name. */
const progressByModel = new Map();

function languagesLabel(multilingual) {
  if (multilingual === null) return "unknown";
  return multilingual ? "99 languages" : "English only";
}

function statusCell(model) {
  if (model.fetching) {
    const progress = progressByModel.get(model.name);
    const bar = el("progress", { max: 100, "aria-label": `Download progress of ${model.name}` });
    let label = "Starting";
    if (progress && progress.step === "downloading" && progress.total_bytes) {
      bar.value = (100 * progress.done_bytes) / progress.total_bytes;
      label = `${formatBytes(progress.done_bytes)} of ${formatBytes(progress.total_bytes)}`;
    } else if (progress) {
      label = STEP_LABELS[progress.step];
    }
    return el("td", {}, [bar, " ", el("span", { text: label })]);
  }
  let text = "Not installed";
  if (model.installed_path) text = model.active ? "Installed, in use" : "Installed";
  return el("td", { text });
}

function actionsCell(model) {
  const actions = [];
  if (model.fetching) {
    actions.push(action("Cancel", `Cancel the download of ${model.name}`, () => commands.cancelModelFetch(model.name), "Cancelling the download"));
  } else if (!model.installed_path && model.in_catalog) {
    actions.push(action("Fetch", `Fetch ${model.name}`, () => commands.fetchModel(model.name), "Fetching the model"));
  }
  if (!model.active) {
    actions.push(action("Use", `Use ${model.name} for new jobs`, () => commands.useModel(model.name), "Choosing the model"));
  }
  return el("td", {}, [el("div", { className: "model-actions" }, actions)]);
}

function action(label, accessibleName, call, failure) {
  const button = el("button", { type: "button", text: label, "aria-label": accessibleName });
  button.addEventListener("click", async () => {
    try {
      await unwrap(call());
      await renderModels();
    } catch (error) {
      showCommandError(failure, error);
    }
  });
  return button;
}

export async function renderModels() {
  const view = await unwrap(commands.listModels());
  for (const progress of view.fetches) progressByModel.set(progress.name, progress);

  const rows = view.models.map((model) =>
    el("tr", { "data-model": model.name }, [
      el("th", { scope: "row" }, [
        el("span", { className: "model-name", text: model.name }),
        model.description ? el("div", { className: "muted", text: model.description }) : null,
      ]),
      el("td", { text: languagesLabel(model.multilingual) }),
      el("td", { text: formatBytes(model.size_bytes) }),
      statusCell(model),
      actionsCell(model),
    ]),
  );
  // Redrawing replaces the buttons, so keyboard focus moves to the new button of the same
  // name, or to the row's first button when that one is gone.
  const body = document.getElementById("models-body");
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const focusedLabel = focused?.getAttribute("aria-label");
  const focusedRow = focused?.closest("tr")?.dataset.model;

  replaceChildren(body, rows);

  if (focused) {
    const again = [...body.querySelectorAll("button")].find((button) => button.getAttribute("aria-label") === focusedLabel);
    const row = [...body.querySelectorAll("tr")].find((tr) => tr.dataset.model === focusedRow);
    (again ?? row?.querySelector("button") ?? document.getElementById("models-heading")).focus();
  }
}

export async function initModels() {
  await events.modelFetchProgress.listen((event) => progressByModel.set(event.payload.name, event.payload));
  await events.modelFetchEnded.listen((event) => progressByModel.delete(event.payload.name));

  // Redraws are cheap next to a download, but are kept to one per animation frame.
  let pending = false;
  onModelsChanged(() => {
    if (pending || document.getElementById("view-models").hidden) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      renderModels();
    });
  });
  await renderModels();
}
