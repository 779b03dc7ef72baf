// The page's access to the app: the generated bindings, with results unwrapped.

import { commands, events } from "../bindings.js";

export { commands, events };

/**
 * Awaits a command that returns a result object, and returns its data or throws its
 * `{ code, message }` error.
 * @template T
 * @param {Promise<{ status: "ok", data: T } | { status: "error", error: { code: string, message: string } }>} pending
 * @returns {Promise<T>}
 */
export async function unwrap(pending) {
  const result = await pending;
  if (result.status === "error") throw result.error;
  return result.data;
}
