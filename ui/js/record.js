// The Record tab: microphone choice, level meter, start, pause and stop, the live
// transcript, the saved files, and recordings a crash left unfinished. The recording
// lives in the app; this view only mirrors it, so a reload loses nothing.

import { commands, events, unwrap } from "./api.js";
import { el, replaceChildren, errorMessage } from "./dom.js";
import { fileName, formatDuration } from "./format.js";
import { showCommandError } from "./notices.js";
import { setQueueHeld } from "./jobs.js";

/** The meter shows levels from this many dBFS (empty) up to 0 dBFS (full). */
const METER_FLOOR_DBFS = -60;

const PHASE_LABELS = {
  idle: "Ready",
  starting: "Starting…",
  recording: "Recording",
  paused: "Paused",
  finishing: "Finishing the transcript…",
  recovering: "Transcribing an unfinished recording…",
};

/** The latest summary from the app, or null before the first. */
let summary = null;

/** Committed segments of the take shown. */
let segments = [];

let visible = false;

const byId = (id) => document.getElementById(id);

/** Makes a message from the app, which starts in lower case, read as a sentence. */
function sentence(text) {
  const trimmed = text.trim();
  const capitalized = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capitalized) ? capitalized : `${capitalized}.`;
}

/** Shows or hides a message element; an empty text hides it. */
function setMessage(element, text) {
  element.hidden = !text;
  element.textContent = text ?? "";
}

function renderLevel(level) {
  const meter = byId("record-level");
  const rms = Math.max(METER_FLOOR_DBFS, Math.min(0, level.rms_dbfs));
  const peak = Math.max(METER_FLOOR_DBFS, Math.min(0, level.peak_dbfs));
  const toPercent = (dbfs) => (100 * (dbfs - METER_FLOOR_DBFS)) / -METER_FLOOR_DBFS;

  meter.style.setProperty("--level", `${toPercent(rms)}%`);
  meter.style.setProperty("--peak", `${toPercent(peak)}%`);
  meter.setAttribute("aria-valuenow", String(Math.round(rms)));
  meter.dataset.rms = String(Math.round(level.rms_dbfs));
  meter.dataset.updates = String(Number(meter.dataset.updates) + 1);
  byId("record-level-text").textContent = level.rms_dbfs <= -99 ? "silent" : `${Math.round(level.rms_dbfs)} dB`;

  if (level.recorded_ms !== null) byId("record-elapsed").textContent = formatDuration(level.recorded_ms);
}

/** Shows the outcome of the last action, leaving out what the device message already shows. */
function showRecordMessage(lines) {
  const deviceMessage = byId("record-device-message");
  const shown = deviceMessage.hidden ? "" : deviceMessage.textContent;
  setMessage(byId("record-message"), lines.filter((line) => line !== shown).join(" "));
}

function renderMonitor(monitor) {
  const stateText = byId("record-monitor-state");
  const deviceMessage = byId("record-device-message");
  byId("record-level").dataset.monitor = monitor.state;
  if (monitor.state === "opening") stateText.textContent = "Opening the microphone…";
  else if (monitor.state === "listening") stateText.textContent = `Listening to ${monitor.device.name}`;
  else stateText.textContent = "";
  if (monitor.state === "failed") setMessage(deviceMessage, sentence(monitor.message));
  else if (deviceMessage.dataset.source !== "list") setMessage(deviceMessage, "");
}

function renderControls(phase) {
  const busy = phase !== "idle";
  byId("record-start").disabled = busy;
  byId("record-device").disabled = busy || byId("record-device").options.length === 0;
  const pause = byId("record-pause");
  pause.disabled = phase !== "recording" && phase !== "paused";
  pause.textContent = phase === "paused" ? "Resume" : "Pause";
  byId("record-stop").disabled = !["starting", "recording", "paused"].includes(phase);

  const state = byId("record-state");
  state.dataset.phase = phase;
  state.textContent = PHASE_LABELS[phase];
  byId("record-queue-note").hidden = !busy;
  setQueueHeld(busy);
}

function renderText() {
  const committed = byId("record-committed");
  const tentative = summary ? summary.tentative : "";
  byId("record-tentative").textContent = tentative;
  byId("record-text-empty").hidden = committed.childElementCount > 0 || tentative !== "";
}

function appendSegments(list) {
  const container = byId("record-text");
  const atBottom = container.scrollTop + container.clientHeight >= container.scrollHeight - 4;
  const committed = byId("record-committed");
  for (const segment of list) {
    segments.push(segment);
    committed.append(el("span", { className: "committed-segment", text: `${segment.text.trim()} ` }));
  }
  if (atBottom) container.scrollTop = container.scrollHeight;
}

function renderSaved(saved) {
  const box = byId("record-saved");
  box.hidden = saved === null;
  if (saved === null) return;

  let title = saved.recovered ? "Recovered recording saved" : "Recording saved";
  if (saved.duration_ms !== null) title += ` (${formatDuration(saved.duration_ms)})`;
  if (saved.no_speech) title += ": no speech found, so no transcript was written";
  byId("record-saved-title").textContent = title;

  const items = [saved.wav, ...saved.written].map((path) => {
    const show = el("button", { type: "button", text: "Show in folder", "aria-label": `Show ${fileName(path)} in its folder` });
    show.addEventListener("click", () => run(commands.showInFolder(path), "Opening the folder"));
    return el("li", {}, [el("code", { className: "path saved-path", text: path }), show]);
  });
  replaceChildren(byId("record-saved-list"), items);
}

function renderUnfinished(current) {
  const box = byId("record-unfinished");
  const problems = byId("record-unfinished-problems");
  box.hidden = current.unfinished.length === 0 && current.unfinished_problems.length === 0;
  problems.hidden = current.unfinished_problems.length === 0;
  replaceChildren(problems, current.unfinished_problems.map((problem) => el("li", { text: problem })));

  const idle = current.phase === "idle";
  const items = current.unfinished.map((recording) => {
    const name = fileName(recording.path);
    const actions = [];
    if (current.recovering === recording.path) {
      actions.push(el("span", { className: "record-recovering", text: "Transcribing…" }));
      actions.push(button("Cancel", `Cancel transcribing ${name}`, "cancel-recovery", () => run(commands.stopRecording(), "Cancelling")));
    } else {
      const recover = button("Transcribe", `Repair and transcribe ${name}`, "recover primary", () =>
        run(commands.recoverRecording(recording.path), "Transcribing the unfinished recording"),
      );
      const keep = button("Keep WAV only", `Keep ${name} as a WAV file without a transcript`, "keep", () =>
        run(commands.keepUnfinishedRecording(recording.path), "Keeping the recording"),
      );
      recover.disabled = !idle;
      keep.disabled = !idle;
      actions.push(recover, keep);
    }
    return el("li", { "data-path": recording.path }, [
      el("code", { className: "path unfinished-name", text: name, title: recording.path }),
      el("span", { className: "muted unfinished-length", text: formatDuration(recording.duration_ms) }),
      ...actions,
    ]);
  });
  replaceChildren(byId("record-unfinished-list"), items);
}

/** Applies a summary from the app, unless a newer one was shown already. */
function applySummary(next) {
  if (summary !== null && next.revision < summary.revision) return;
  if (summary === null || next.take !== summary.take) {
    segments = [];
    byId("record-committed").replaceChildren();
  }
  summary = next;

  renderControls(next.phase);
  renderMonitor(next.monitor);
  renderText();
  renderSaved(next.saved);
  renderUnfinished(next);
  // Level events refresh this many times a second while recording. The summary sets it
  // too, so a reloaded page shows the length at once.
  byId("record-elapsed").textContent = formatDuration(next.recorded_ms);

  const backlog = byId("record-backlog");
  backlog.hidden = next.backlog_ms === 0;
  backlog.textContent = `Transcription is ${(next.backlog_ms / 1000).toFixed(1)} s behind`;

  const lines = [next.failure, next.error].filter((line) => line).map(sentence);
  if (next.failure && next.saved) lines.push("Everything recorded until then is saved and transcribed.");
  showRecordMessage(lines);
  const warnings = byId("record-warnings");
  warnings.hidden = next.warnings.length === 0;
  replaceChildren(warnings, next.warnings.map((warning) => el("li", { text: warning })));
}

function applyCommitted(payload) {
  if (summary === null || payload.take !== summary.take) return;
  if (payload.index + payload.segments.length <= segments.length) return;
  if (payload.index > segments.length) {
    // An event was missed; the snapshot has everything.
    loadSnapshot();
    return;
  }
  appendSegments(payload.segments.slice(segments.length - payload.index));
  renderText();
}

async function loadSnapshot() {
  const snapshot = await commands.getRecording();
  if (summary !== null && snapshot.summary.revision < summary.revision) return;
  summary = null;
  applySummary(snapshot.summary);
  appendSegments(snapshot.segments);
  renderText();
}

async function loadDevices() {
  const select = byId("record-device");
  const message = byId("record-device-message");
  try {
    const list = await unwrap(commands.listInputDevices());
    const options = list.devices.map((device) =>
      el("option", { value: device.id, text: device.is_default ? `${device.name} (system default)` : device.name }),
    );
    replaceChildren(select, [el("option", { value: "", text: "System default" }), ...options]);
    const chosen = list.devices.find((device) => device.id === list.chosen || device.name === list.chosen);
    select.value = chosen ? chosen.id : "";
    message.dataset.source = "";
    if (summary === null || summary.monitor.state !== "failed") setMessage(message, "");
  } catch (error) {
    replaceChildren(select, []);
    message.dataset.source = "list";
    setMessage(message, sentence(errorMessage(error)));
  }
  renderControls(summary ? summary.phase : "idle");
}

function button(label, accessibleName, className, onClick) {
  const element = el("button", { type: "button", text: label, className, "aria-label": accessibleName });
  element.addEventListener("click", onClick);
  return element;
}

async function run(pending, action) {
  try {
    await unwrap(pending);
  } catch (error) {
    showCommandError(action, error);
  }
}

async function start() {
  showRecordMessage([]);
  try {
    await unwrap(commands.startRecording());
  } catch (error) {
    showRecordMessage([sentence(errorMessage(error))]);
  }
}

async function chooseDevice() {
  const value = byId("record-device").value;
  try {
    await unwrap(commands.chooseInputDevice(value === "" ? null : value));
  } catch (error) {
    showCommandError("Choosing the microphone", error);
    await loadDevices();
  }
}

/** Requests to turn the level monitor on or off, chained so they reach the app in order. */
let monitorRequests = Promise.resolve();

/** Called when the Record tab is shown or left: the level monitor runs only while shown. */
export function setRecordTabVisible(shown) {
  visible = shown;
  monitorRequests = monitorRequests.then(async () => {
    if (shown) await loadDevices();
    try {
      await unwrap(commands.watchInputLevel(shown));
    } catch (error) {
      showCommandError("Watching the input level", error);
    }
  });
  return monitorRequests;
}

export async function initRecord() {
  // Listen first, then load, so no change falls between the two.
  await Promise.all([
    events.recordingChanged.listen((event) => applySummary(event.payload.recording)),
    events.recordingTextCommitted.listen((event) => applyCommitted(event.payload)),
    events.inputLevel.listen((event) => renderLevel(event.payload.level)),
  ]);

  byId("record-start").addEventListener("click", start);
  byId("record-pause").addEventListener("click", () =>
    run(summary && summary.phase === "paused" ? commands.resumeRecording() : commands.pauseRecording(), "Pausing"),
  );
  byId("record-stop").addEventListener("click", () => run(commands.stopRecording(), "Stopping the recording"));
  byId("record-device").addEventListener("change", chooseDevice);

  await loadSnapshot();
  // After a reload, a monitor the previous page started is no longer needed.
  if (!visible && summary.monitor.state !== "off") await setRecordTabVisible(false);
}
