/**
 * What the bridge's pino options tell its destination, in one place. pino
 * calls the options' `mixin` and `hooks.streamWrite` for a line, then writes
 * it to the destination: these are the only two things that pass between
 * them outside pino's own arguments.
 *
 * - `call.mixinObject`: the object the mixin returned last. pino merges the
 *   call's fields into it (copying them: getters are read once, by pino) and
 *   hands it to the destination as `lastObj`. The destination's fast path is
 *   taken only for that object, once (it clears it), so metadata a stream in
 *   between copied from an earlier call is never read again.
 * - `APPENDING_HOOKS`: the `threadlineStreamWrite()` hooks, with the names of
 *   the members each appends to the end of a line (`trace`, the trace fields;
 *   `scoped`, the scope's attributes it was asked to write), so that the
 *   metadata reader knows what the line has that the call's fields have not.
 */
export const call: { mixinObject: object | undefined } = { mixinObject: undefined };

export const APPENDING_HOOKS = new WeakMap<
  object,
  { trace: ReadonlySet<string>; scoped: readonly string[] }
>();
