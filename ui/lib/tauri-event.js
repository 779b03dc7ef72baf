// The part of `@tauri-apps/api/event` that the generated bindings import, taken from the
// global API Tauri injects; see tauri-core.js.
const event = window.__TAURI__.event;

export const listen = event.listen;
export const once = event.once;
export const emit = event.emit;
export const emitTo = event.emitTo;
