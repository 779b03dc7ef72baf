// The Settings view. Every change is saved at once; the app checks it and the form shows
// what was saved, or why not.

import { commands, unwrap } from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { onActiveModelChanged, onModelsChanged } from "./model-status.js";
import { showNotice } from "./notices.js";

/** The settings as last saved by the app. */
let saved = null;

/** The last settings view from the app, with the choices it offers. */
let lastView = null;

const form = () => document.getElementById("settings-form");

function setStatus(kind, text) {
  const status = document.getElementById("settings-status");
  status.dataset.kind = kind;
  status.textContent = text;
}

async function renderModelChoices() {
  const view = await unwrap(commands.listModels());
  const select = document.getElementById("setting-model");
  const options = view.models.map((model) =>
    el("option", { value: model.name, text: model.installed_path ? model.name : `${model.name} (not installed)` }),
  );
  if (saved && !view.models.some((model) => model.name === saved.model)) {
    options.push(el("option", { value: saved.model, text: saved.model }));
  }
  replaceChildren(select, options);
  if (saved) select.value = saved.model;
}

function render(view) {
  saved = view.settings;
  const settings = view.settings;

  // The languages follow the chosen model, so the list is rebuilt when they change.
  const language = document.getElementById("setting-language");
  const codes = view.languages.map((option) => option.code).join(" ");
  if (language.dataset.codes !== codes) {
    language.dataset.codes = codes;
    replaceChildren(language, [
      el("option", { value: "auto", text: "Detect automatically" }),
      ...view.languages.map((option) => el("option", { value: option.code, text: `${option.name} (${option.code})` })),
    ]);
  }
  language.value = settings.language;
  document.getElementById("setting-model").value = settings.model;
  const translate = document.getElementById("setting-translate");
  translate.checked = settings.translate;
  translate.disabled = !view.model_translates;

  const threads = document.getElementById("setting-threads");
  threads.max = String(view.max_threads);
  threads.placeholder = `automatic (${view.default_threads})`;
  threads.value = settings.threads === null ? "" : String(settings.threads);

  const formats = document.getElementById("setting-formats");
  if (formats.children.length === 0) {
    replaceChildren(
      formats,
      view.formats.map((format) => {
        const id = `setting-format-${format}`;
        return el("span", { className: "field-inline" }, [
          el("input", { type: "checkbox", id, name: "formats", value: format }),
          el("label", { for: id, text: format.toUpperCase() }),
        ]);
      }),
    );
  }
  for (const box of formats.querySelectorAll("input")) box.checked = settings.formats.includes(box.value);

  const inFolder = settings.save_location.kind === "folder";
  document.getElementById("setting-save-beside").checked = !inFolder;
  document.getElementById("setting-save-folder").checked = inFolder;
  document.getElementById("setting-folder-path").textContent = inFolder ? settings.save_location.folder : "none chosen";
}

/** Reads the form into a settings object, starting from the saved one. */
function readForm(folderOverride) {
  const threadsText = document.getElementById("setting-threads").value.trim();
  const formats = [...document.querySelectorAll("#setting-formats input:checked")].map((box) => box.value);
  const folderChosen = document.getElementById("setting-save-folder").checked;
  const folder = folderOverride ?? (saved.save_location.kind === "folder" ? saved.save_location.folder : null);

  return {
    ...saved,
    model: document.getElementById("setting-model").value,
    language: document.getElementById("setting-language").value,
    translate: document.getElementById("setting-translate").checked,
    threads: threadsText === "" ? null : Number(threadsText),
    formats,
    save_location: folderChosen && folder ? { kind: "folder", folder } : { kind: "beside_audio" },
  };
}

async function save(settings) {
  try {
    const view = await unwrap(commands.updateSettings(settings));
    lastView = view;
    render(view);
    setStatus("ok", "Saved.");
  } catch (error) {
    render({ ...lastView, settings: saved });
    setStatus("error", `Not saved: ${error.message ?? error}`);
  }
}

async function chooseFolder() {
  const folder = await unwrap(commands.chooseOutputFolder());
  if (folder) await save(readForm(folder));
  else render({ ...lastView, settings: saved });
}

export async function initSettings() {
  lastView = await commands.getSettings();
  render(lastView);
  await renderModelChoices();
  onModelsChanged(() => renderModelChoices());
  // Choosing a model elsewhere (the Models page) can change the language and what the
  // model offers, so the form is redrawn from the app's settings.
  onActiveModelChanged(async () => {
    lastView = await commands.getSettings();
    render(lastView);
  });

  if (lastView.load_warnings.length > 0) {
    showNotice("warning", "Some settings were reset", lastView.load_warnings);
  }

  form().addEventListener("change", async (event) => {
    const target = event.target;
    if (target.id === "setting-save-folder" && saved.save_location.kind !== "folder") {
      await chooseFolder();
      return;
    }
    await save(readForm());
  });
  form().addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("setting-choose-folder").addEventListener("click", async () => {
    try {
      await chooseFolder();
    } catch (error) {
      setStatus("error", `No folder chosen: ${error.message ?? error}`);
    }
  });
}
