// Formatting of times and sizes for display.

/** Formats milliseconds as `m:ss`, or `h:mm:ss` from one hour on. */
export function formatDuration(ms) {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const seconds = String(totalSeconds % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Formats a segment time in milliseconds as `mm:ss.s`, or `h:mm:ss.s` from one hour on. */
export function formatTimestamp(ms) {
  const tenths = Math.floor(ms / 100) % 10;
  const totalSeconds = Math.floor(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = String(Math.floor(totalSeconds / 60) % 60).padStart(2, "0");
  const seconds = String(totalSeconds % 60).padStart(2, "0");
  const clock = `${minutes}:${seconds}.${tenths}`;
  return hours > 0 ? `${hours}:${clock}` : clock;
}

/** Formats a byte count in decimal units (kB, MB, GB), as file managers show sizes. */
export function formatBytes(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

/** Returns the last component of a path, for display. */
export function fileName(path) {
  const parts = path.split("/");
  return parts[parts.length - 1] || path;
}

/**
 * Describes a running model download or import for a progress label: bytes done and in
 * all, speed, time left and where the bytes come from, or the current step.
 */
export function describeFetch(progress, stepLabels) {
  const from = progress.source ? `from ${progress.source}` : null;
  if (progress.step !== "downloading" || !progress.total_bytes) {
    return from ? `${stepLabels[progress.step]} (${from})` : stepLabels[progress.step];
  }
  const parts = [`${formatBytes(progress.done_bytes)} of ${formatBytes(progress.total_bytes)}`];
  if (progress.bytes_per_second) parts.push(`${formatBytes(progress.bytes_per_second)}/s`);
  if (progress.eta_seconds !== null && progress.eta_seconds !== undefined) {
    parts.push(`${formatDuration(progress.eta_seconds * 1000)} left`);
  }
  if (from) parts.push(from);
  return parts.join(", ");
}
