// The Models view: the catalog and the installed models, with fetching, importing,
// removing and choosing.

import { commands, events, unwrap } from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { describeFetch, formatBytes } from "./format.js";
import { onModelsChanged } from "./model-status.js";
import { showCommandError } from "./notices.js";

const STEP_LABELS = { downloading: "Downloading", converting: "Converting", verifying: "Checking" };

/** Name of the model whose Remove button was pressed and waits for confirmation. */
let confirmingRemoval = null;

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
    }
    if (progress) label = describeFetch(progress, STEP_LABELS);
    return el("td", { "data-status": "fetching" }, [bar, " ", el("span", { className: "fetch-label", text: label })]);
  }
  let text = "Not installed";
  let status = "available";
  if (model.installed_path) {
    text = model.active ? "Installed, in use" : "Installed";
    status = "installed";
  } else if (model.partial_bytes !== null) {
    const of = model.size_bytes ? ` of ${formatBytes(model.size_bytes)}` : "";
    text = `Paused at ${formatBytes(model.partial_bytes)}${of}`;
    status = "partial";
  }
  return el("td", { text, "data-status": status });
}

function actionsCell(model) {
  const actions = [];
  if (model.fetching) {
    actions.push(action("Cancel", `Cancel the download of ${model.name}`, () => commands.cancelModelFetch(model.name), "Cancelling the download"));
  } else if (!model.installed_path && model.in_catalog && model.partial_bytes !== null) {
    actions.push(action("Resume", `Resume the download of ${model.name}`, () => commands.fetchModel(model.name), "Resuming the download"));
  } else if (!model.installed_path && model.in_catalog) {
    actions.push(action("Fetch", `Fetch ${model.name}`, () => commands.fetchModel(model.name), "Fetching the model"));
  }
  if (!model.active) {
    actions.push(action("Use", `Use ${model.name} for new jobs`, () => commands.useModel(model.name), "Choosing the model"));
  }
  const removable = !model.fetching && (model.installed_path || model.partial_bytes !== null);
  if (removable && confirmingRemoval === model.name) {
    actions.push(
      action("Confirm removal", `Delete ${model.name} from this computer`, () => {
        confirmingRemoval = null;
        return commands.removeModel(model.name);
      }, "Removing the model"),
      localAction("Keep", `Keep ${model.name}`, () => (confirmingRemoval = null)),
    );
  } else if (removable) {
    const label = model.installed_path ? "Remove" : "Discard";
    actions.push(localAction(label, `${label} ${model.name}`, () => (confirmingRemoval = model.name)));
  }
  return el("td", {}, [el("div", { className: "model-actions" }, actions)]);
}

/** A button that only changes what the page shows, then redraws the table. */
function localAction(label, accessibleName, change) {
  const button = el("button", { type: "button", text: label, "aria-label": accessibleName });
  button.addEventListener("click", () => {
    change();
    renderModels();
  });
  return button;
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
      el("td", { text: model.memory_mb ? `${model.memory_mb} MB` : "" }),
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

async function importModel(folder) {
  try {
    const name = await unwrap(commands.importModel(folder));
    if (name !== null) await renderModels();
  } catch (error) {
    showCommandError("Importing the model", error);
  }
}

export async function initModels() {
  document.getElementById("import-model-file").addEventListener("click", () => importModel(false));
  document.getElementById("import-model-folder").addEventListener("click", () => importModel(true));

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
