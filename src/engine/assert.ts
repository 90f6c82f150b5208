/** Always-on assertions: a failed one is a simulator bug, never a guest fault. */

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Throws when `condition` is false; `message` should name the invariant (`sched: ctx on two cpus`). */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** For `switch` defaults over closed unions: reaching it is a bug. */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`${what}: unexpected value ${String(value)}`);
}
