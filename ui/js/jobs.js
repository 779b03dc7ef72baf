// The Transcribe view: the drop zone, the job list and each job's transcript. Jobs live
// in the app; this view only mirrors them, so a reload loses nothing.

import { commands, events, unwrap } from "./api.js";
import { el, replaceChildren, errorMessage } from "./dom.js";
import { fileName, formatDuration, formatTimestamp } from "./format.js";
import { showCommandError, showNotice } from "./notices.js";

const STATUS_LABELS = {
  queued: "Waiting",
  finished: "Done",
  unsaved: "Not saved",
  failed: "Failed",
  cancelled: "Cancelled",
};

const PHASE_LABELS = { decoding: "Reading audio", transcribing: "Transcribing", saving: "Saving" };

const EXPORT_FORMATS = ["srt", "txt", "vtt", "json"];

/** @type {Map<number, JobView>} */
const jobs = new Map();

/** True while a recording keeps queued jobs waiting. */
let queueHeld = false;

/** One job as shown: the latest summary, the segments so far and the elements. */
class JobView {
  constructor(summary) {
    this.summary = summary;
    this.receivedAt = performance.now();
    this.segments = [];
    this.build();
  }

  build() {
    const name = this.summary.file_name;
    this.nameElement = el("h3", { className: "job-name", text: name, title: this.summary.input });
    this.statusElement = el("span", { className: "job-status" });
    this.metaElement = el("span", { className: "job-meta" });
    this.progress = el("progress", { max: 100, value: 0, "aria-label": `Progress of ${name}` });
    this.percentElement = el("span", { className: "job-percent" });
    this.timesElement = el("span", { className: "job-times" });
    this.errorElement = el("p", { className: "job-error", role: "alert", hidden: true });
    this.warningsElement = el("ul", { className: "job-warnings", hidden: true });
    this.outputsElement = el("div", { className: "job-outputs", hidden: true });
    this.actionsElement = el("div", { className: "job-actions" });
    // Focusable, so keyboard users can scroll a long transcript.
    this.segmentList = el("ol", { className: "segments", "aria-label": `Transcript of ${name}`, tabindex: 0 });
    this.transcriptSummary = el("summary", { text: "Transcript" });
    this.transcript = el("details", { className: "job-transcript", open: true }, [
      this.transcriptSummary,
      this.segmentList,
    ]);

    this.element = el("li", { className: "job", "data-job-id": this.summary.id, "aria-label": name }, [
      el("div", { className: "job-head" }, [this.nameElement, this.statusElement, this.metaElement]),
      el("div", { className: "job-progress" }, [this.progress, this.percentElement, this.timesElement]),
      this.errorElement,
      this.warningsElement,
      this.outputsElement,
      this.actionsElement,
      this.transcript,
    ]);
    this.renderedActionsFor = null;
  }

  /** Applies a new summary from the app. */
  update(summary) {
    const statusChanged = summary.status !== this.summary.status || this.renderedActionsFor === null;
    const outputsChanged = summary.outputs.join("\n") !== this.summary.outputs.join("\n");
    this.summary = summary;
    this.receivedAt = performance.now();

    this.element.dataset.status = summary.status;
    this.statusElement.textContent = statusLabel(summary);

    const meta = [];
    if (summary.duration_ms !== null) meta.push(`Length ${formatDuration(summary.duration_ms)}`);
    if (summary.language) meta.push(`Language: ${summary.language}`);
    this.metaElement.textContent = meta.join(" · ");

    this.renderProgress();
    this.renderTimes();

    this.errorElement.hidden = !summary.error;
    this.errorElement.textContent =
      summary.status === "unsaved"
        ? `The transcript could not be saved beside the audio (${summary.error}). It is kept here: choose a folder for its files, or use Save as…`
        : summary.error ?? "";
    this.warningsElement.hidden = summary.warnings.length === 0;
    replaceChildren(this.warningsElement, summary.warnings.map((warning) => el("li", { text: warning })));

    if (outputsChanged || statusChanged) this.renderOutputs();
    if (statusChanged) this.renderActions();
    this.renderTranscriptTitle();
  }

  /**
   * Shows the percentage, or an indeterminate bar while a running job has reported none
   * yet: the model may be loading or the first bytes of the file being read, and a bar
   * frozen at 0 % would look stuck. Queued and ended jobs keep the determinate bar.
   */
  renderProgress() {
    const { status, percent } = this.summary;
    if (status === "running" && percent <= 0) {
      // A <progress> without a value attribute is indeterminate (HTML standard).
      this.progress.removeAttribute("value");
      this.progress.setAttribute("aria-valuetext", "Starting");
      this.percentElement.textContent = "";
      return;
    }

    const whole = Math.floor(percent);
    this.progress.value = percent;
    this.progress.setAttribute("aria-valuetext", `${whole} percent`);
    this.percentElement.textContent = `${whole}%`;
  }

  /** Updates elapsed time and the estimate between summaries, counting from receipt. */
  renderTimes() {
    const summary = this.summary;
    if (summary.elapsed_ms === null) {
      this.timesElement.textContent = "";
      return;
    }
    const since = summary.status === "running" ? performance.now() - this.receivedAt : 0;
    const elapsed = formatDuration(summary.elapsed_ms + since);
    if (summary.status !== "running") {
      this.timesElement.textContent = `Took ${elapsed}`;
      return;
    }
    const eta = summary.eta_ms === null ? "" : ` · about ${formatDuration(Math.max(0, summary.eta_ms - since))} left`;
    this.timesElement.textContent = `Elapsed ${elapsed}${eta}`;
  }

  renderOutputs() {
    const outputs = this.summary.outputs;
    this.outputsElement.hidden = outputs.length === 0;
    const items = outputs.map((path) => {
      const show = el("button", { type: "button", text: "Show in folder", "aria-label": `Show ${fileName(path)} in its folder` });
      show.addEventListener("click", () => showInFolder(path));
      return el("li", {}, [el("code", { className: "path output-path", text: path }), show]);
    });
    replaceChildren(this.outputsElement, [el("span", { text: "Saved to:" }), el("ul", {}, items)]);
  }

  renderActions() {
    const { id, status, file_name: name } = this.summary;
    const actions = [];

    if (status === "queued" || status === "running") {
      actions.push(button("Cancel", `Cancel ${name}`, "cancel", () => run(commands.cancelJob(id), "Cancelling")));
    }
    if (status === "unsaved") {
      actions.push(button("Choose folder…", `Choose a folder for the transcript of ${name}`, "save-unsaved primary", () => saveUnsaved(id)));
    }
    if (status === "finished" || status === "unsaved") {
      const select = el(
        "select",
        { className: "export-format", "aria-label": `Export format for ${name}` },
        EXPORT_FORMATS.map((format) => el("option", { value: format, text: format.toUpperCase() })),
      );
      actions.push(el("label", { text: "Export as" }), select);
      actions.push(button("Save as…", `Save the transcript of ${name} as`, "save-as", () => saveAs(id, select.value)));
      actions.push(button("Copy text", `Copy the transcript of ${name}`, "copy-text", (event) => this.copyText(event.currentTarget)));
    }
    if (status !== "queued" && status !== "running") {
      actions.push(button("Remove", `Remove ${name} from the list`, "remove", () => run(commands.removeJob(id), "Removing the job")));
    }

    replaceChildren(this.actionsElement, actions);
    this.renderedActionsFor = status;
  }

  renderTranscriptTitle() {
    const count = this.segments.length;
    this.transcriptSummary.textContent = count === 0 ? "Transcript (no text yet)" : `Transcript (${count} segment${count === 1 ? "" : "s"})`;
  }

  /** Replaces every segment, as after a reload, unless events already brought more. */
  setSegments(segments) {
    if (segments.length < this.segments.length) return;
    this.segments = [];
    this.segmentList.replaceChildren();
    for (const segment of segments) this.appendSegment(segment);
    this.renderTranscriptTitle();
  }

  /** Adds segment `index`, unless it is already shown. */
  addSegment(index, segment) {
    if (index < this.segments.length) return;
    const list = this.segmentList;
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    this.appendSegment(segment);
    if (atBottom) list.scrollTop = list.scrollHeight;
    this.renderTranscriptTitle();
  }

  appendSegment(segment) {
    this.segments.push(segment);
    const time = `${formatTimestamp(segment.start_ms)} – ${formatTimestamp(segment.end_ms)}`;
    this.segmentList.append(
      el("li", { className: "segment" }, [
        el("span", { className: "segment-time", text: time }),
        el("span", { className: "segment-text", text: segment.text }),
      ]),
    );
  }

  async copyText(buttonElement) {
    const text = this.segments.map((segment) => segment.text).join("\n");
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      copyWithSelection(text);
    }
    const label = buttonElement.textContent;
    buttonElement.textContent = "Copied";
    setTimeout(() => (buttonElement.textContent = label), 1500);
  }
}

/** Names the phase of a running job, or the status of any other. */
function statusLabel(summary) {
  if (summary.status !== "running") return STATUS_LABELS[summary.status];
  // A running job has no phase until its model is loaded.
  return summary.phase ? PHASE_LABELS[summary.phase] : "Starting";
}

function button(label, accessibleName, className, onClick) {
  const element = el("button", { type: "button", text: label, className, "aria-label": accessibleName });
  element.addEventListener("click", onClick);
  return element;
}

/** Copies through a temporary selection, for webviews without the async clipboard. */
function copyWithSelection(text) {
  const area = el("textarea", { "aria-hidden": "true", readonly: true });
  area.value = text;
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

async function run(pending, action) {
  try {
    await unwrap(pending);
  } catch (error) {
    showCommandError(action, error);
  }
}

async function saveAs(id, format) {
  try {
    const path = await unwrap(commands.saveTranscriptAs(id, format));
    if (path) showNotice("info", `Saved ${fileName(path)}`, [path]);
  } catch (error) {
    showCommandError("Saving the transcript", error);
  }
}

async function saveUnsaved(id) {
  try {
    const written = await unwrap(commands.saveUnsavedJob(id));
    if (written) showNotice("info", "Transcript saved", written);
  } catch (error) {
    showCommandError("Saving the transcript", error);
  }
}

async function showInFolder(path) {
  await run(commands.showInFolder(path), "Opening the folder");
}

function upsert(summary) {
  let view = jobs.get(summary.id);
  if (!view) {
    view = new JobView(summary);
    jobs.set(summary.id, view);
    insertInOrder(view);
  } else if (summary.revision < view.summary.revision) {
    // A snapshot requested before this job's latest event arrived after it.
    return view;
  }
  view.update(summary);
  renderQueueState();
  return view;
}

/** Keeps the list in the order jobs were added, which is the order they run in. */
function insertInOrder(view) {
  const list = document.getElementById("job-list");
  const next = [...list.children].find((item) => Number(item.dataset.jobId) > view.summary.id);
  list.insertBefore(view.element, next ?? null);
}

function renderQueueState() {
  const all = [...jobs.values()].map((view) => view.summary);
  const running = all.find((job) => job.status === "running");
  const waiting = all.filter((job) => job.status === "queued").length;
  const active = all.filter((job) => job.status === "queued" || job.status === "running").length;
  const removable = all.some((job) => ["finished", "failed", "cancelled"].includes(job.status));

  const state = document.getElementById("queue-state");
  if (running) {
    state.textContent = waiting > 0 ? `Transcribing ${running.file_name}, ${waiting} waiting` : `Transcribing ${running.file_name}`;
  } else if (waiting > 0) {
    state.textContent = queueHeld ? `${waiting} waiting until the recording ends` : `${waiting} waiting`;
  } else {
    state.textContent = "Idle";
  }
  state.dataset.idle = String(active === 0);
  document.getElementById("drop-zone").dataset.compact = String(all.length > 0);
  document.getElementById("cancel-all").disabled = active === 0;
  document.getElementById("remove-finished").disabled = !removable;
}

/** Tells the job list whether a recording keeps queued jobs waiting. */
export function setQueueHeld(held) {
  if (held === queueHeld) return;
  queueHeld = held;
  renderQueueState();
}

function removeJobs(ids) {
  for (const id of ids) {
    const view = jobs.get(id);
    if (!view) continue;
    view.element.remove();
    jobs.delete(id);
  }
  renderQueueState();
}

/** Reports what happened to files that were dropped or opened. */
function reportInputs(report) {
  if (report.error) {
    showNotice("error", "Files not added", [report.error.message]);
    return;
  }
  if (report.rejected.length > 0) {
    const title = report.rejected.length === 1 ? "1 file was not added" : `${report.rejected.length} files were not added`;
    showNotice("error", title, report.rejected.map((rejected) => rejected.message));
  }
}

async function loadJobs() {
  const snapshots = await commands.listJobs();
  const listed = new Set(snapshots.map((snapshot) => snapshot.summary.id));
  removeJobs([...jobs.keys()].filter((id) => !listed.has(id)));
  for (const snapshot of snapshots) {
    upsert(snapshot.summary).setSegments(snapshot.segments);
  }
}

function watchNativeDrag() {
  const zone = document.getElementById("drop-zone");
  const listen = window.__TAURI__.event.listen;
  listen("tauri://drag-enter", () => (zone.dataset.hover = "true"));
  listen("tauri://drag-leave", () => (zone.dataset.hover = "false"));
  listen("tauri://drag-drop", () => (zone.dataset.hover = "false"));
}

export async function initJobs() {
  // Listen first, then load, so no change falls between the two.
  await Promise.all([
    events.jobChanged.listen((event) => upsert(event.payload.job)),
    events.jobSegmentAdded.listen((event) => jobs.get(event.payload.id)?.addSegment(event.payload.index, event.payload.segment)),
    events.jobsRemoved.listen((event) => removeJobs(event.payload.ids)),
    events.inputsChecked.listen((event) => reportInputs(event.payload)),
  ]);

  document.getElementById("open-files").addEventListener("click", async () => {
    try {
      await unwrap(commands.openFiles());
    } catch (error) {
      showCommandError("Adding files", error);
    }
  });
  document.getElementById("cancel-all").addEventListener("click", () => commands.cancelAllJobs());
  document.getElementById("remove-finished").addEventListener("click", () => commands.removeFinishedJobs());
  watchNativeDrag();

  // Elapsed time and estimates move between summaries.
  setInterval(() => {
    for (const view of jobs.values()) {
      if (view.summary.status === "running") view.renderTimes();
    }
  }, 1000);

  try {
    await loadJobs();
  } catch (error) {
    showNotice("error", "Cannot list the jobs", [errorMessage(error)]);
  }
}
