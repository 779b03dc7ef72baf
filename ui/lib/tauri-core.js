// The part of `@tauri-apps/api/core` that the generated bindings import, taken from the
// global API Tauri injects (`app.withGlobalTauri` in tauri.conf.json). An import map in
// index.html points the bare module name here, so the page needs no bundler.
const core = window.__TAURI__.core;

export const invoke = core.invoke;
export const Channel = core.Channel;
