/** Always-on assertions: a failed one is a simulator bug, never a guest fault. */

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Throws when `condition` is false; `message` should name the invariant (`sched: ctx on two cpus`). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Throws an AssertionError: for a check on a hot path whose message is a template, written
 * `if (!cond) fail(\`...\`)` so the message is built only when the check fails (`assert`'s
 * argument is built on every call: a string concatenation per system call; issue 14).
 */
export function fail(message: string): never {
  throw new AssertionError(message);
}

/** For `switch` defaults over closed unions: reaching it is a bug. */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`${what}: unexpected value ${String(value)}`);
}
