/**
 * Guest faults fail tests unless a test declares them. A failing `assert` in guest code throws
 * inside a guest generator, which the kernel turns into a SIGABRT for that process (DESIGN.md,
 * "Guest faults are guest faults"); the simulator keeps running and the test would pass. Every
 * machine the harness boots is registered here with the faults its test expects, and is checked
 * when its run ends (`checkFaults`) or, for machines a test runs itself, after the test.
 */
import { afterEach } from 'node:test';
import { SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV } from '../../src/abi/signal.ts';
import type { GuestFaultRecord, Kernel } from '../../src/kernel/kernel.ts';

/** The signals a guest fault can carry, by name. */
const FAULT_SIGNALS = { SIGSEGV, SIGABRT, SIGILL, SIGBUS, SIGFPE } as const;
export type FaultSignalName = keyof typeof FAULT_SIGNALS;

/** One expected fault: its signal, optionally its message, `count` times in a row (default 1). */
export interface FaultExpectation {
  signal: FaultSignalName;
  message?: RegExp | string;
  count?: number;
}

/**
 * What a test expects: the faults in the order they happen (nothing else may fault), or a
 * predicate over all of them for runs whose fault count is itself the measured result.
 */
export type ExpectedFaults = readonly FaultExpectation[] | ((faults: readonly GuestFaultRecord[]) => boolean);

const watched = new Map<Kernel, ExpectedFaults>();

/** Registers a booted machine's kernel; its faults are checked by `checkFaults` or after the test. */
export function watchFaults(kernel: Kernel, expected: ExpectedFaults): void {
  watched.set(kernel, expected);
}

/** Throws unless `kernel`'s guest faults are exactly the ones its test declared. */
export function checkFaults(kernel: Kernel): void {
  const expected = watched.get(kernel);
  if (expected === undefined) return;
  watched.delete(kernel);
  const problem = faultMismatch(kernel.faults, expected);
  if (problem !== null) throw new Error(problem);
}

/** Why `faults` do not match `expected`, or null when they do. */
export function faultMismatch(faults: readonly GuestFaultRecord[], expected: ExpectedFaults): string | null {
  if (typeof expected === 'function') {
    return expected(faults) ? null : `guest faults not as the test expects:\n${list(faults)}`;
  }
  const want = expected.flatMap((e) => Array.from({ length: e.count ?? 1 }, () => e));
  for (let i = 0; i < Math.max(want.length, faults.length); i++) {
    const w = want[i];
    const f = faults[i];
    if (f === undefined)
      return `expected guest fault ${i + 1} (${w!.signal}) did not happen:\n${list(faults)}`;
    if (w === undefined)
      return `unexpected guest fault (a failed assert in guest code is one):\n${list(faults)}`;
    if (!matches(f, w)) return `guest fault ${i + 1} is not the expected ${describe(w)}:\n${list(faults)}`;
  }
  return null;
}

function matches(f: GuestFaultRecord, w: FaultExpectation): boolean {
  if (f.signal !== FAULT_SIGNALS[w.signal]) return false;
  if (w.message === undefined) return true;
  return typeof w.message === 'string' ? f.message === w.message : w.message.test(f.message);
}

function describe(w: FaultExpectation): string {
  return w.message === undefined ? w.signal : `${w.signal} ${String(w.message)}`;
}

function signalName(signal: number): string {
  const entry = Object.entries(FAULT_SIGNALS).find(([, value]) => value === signal);
  return entry?.[0] ?? `signal ${signal}`;
}

function list(faults: readonly GuestFaultRecord[]): string {
  if (faults.length === 0) return '  (none)';
  return faults
    .map((f) => `  pid ${f.pid} tid ${f.tid} at ${f.timeNs} ns: ${signalName(f.signal)}: ${f.message}`)
    .join('\n');
}

// Machines a test booted and ran itself (bootGuest, then engine.run) are checked here; the
// registry is emptied whatever the outcome, so one test's machines never fail the next test.
afterEach(() => {
  const pending = [...watched.entries()];
  watched.clear();
  const problems = pending
    .map(([kernel, expected]) => faultMismatch(kernel.faults, expected))
    .filter((p) => p !== null);
  if (problems.length > 0) throw new Error(problems.join('\n'));
});
