// Entry point of the page: tabs, then each view.

import { initJobs } from "./jobs.js";
import { initModelStatus } from "./model-status.js";
import { initModels, renderModels } from "./models.js";
import { initRecord, setRecordTabVisible } from "./record.js";
import { initSettings } from "./settings.js";
import { showNotice } from "./notices.js";
import { errorMessage } from "./dom.js";

/** True while the Record tab is shown, which keeps its level monitor running. */
let recordTabShown = false;

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    const selected = tab.dataset.view === name;
    if (selected) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (name === "models") renderModels();
  const recordShown = name === "record";
  if (recordShown !== recordTabShown) {
    recordTabShown = recordShown;
    setRecordTabVisible(recordShown);
  }
}

function initTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
}

async function start() {
  initTabs();
  const views = [initModelStatus(), initJobs(), initRecord(), initModels(), initSettings()];
  const results = await Promise.allSettled(views);
  for (const result of results) {
    if (result.status === "rejected") showNotice("error", "Part of the window failed to load", [errorMessage(result.reason)]);
  }
  document.body.dataset.ready = "true";
}

start();
