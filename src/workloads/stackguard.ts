/**
 * `stackguard` (LIBC-8): one process runs a thread with a runaway recursion whose frames live
 * on its stack; `siblings` other processes recurse to a bounded depth and compute. The runaway
 * thread's probes reach the PROT_NONE guard page below its stack, the store faults, and the
 * kernel kills that process with SIGSEGV; the siblings finish with their depth as exit code.
 * Publishes `overflow_signal`, `overflow_exit_code` (-1 unless it exited), `siblings_ok`
 * (siblings that exited with the expected depth) and `killed` (processes killed).
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { WEXITSTATUS, WIFEXITED, WIFSIGNALED, WTERMSIG } from '../abi/syscalls.ts';
import { spawn, waitpid } from '../libc/process.ts';
import {
  pthread_attr_init,
  pthread_attr_setstacksize,
  pthread_attr_t,
  pthread_create,
  pthread_join,
} from '../libc/pthread.ts';
import { stack_enter, stack_leave } from '../libc/stack.ts';
import { type GuestProgram, intArg, type ProgramArgs } from './program.ts';
import { publish } from './common.ts';

/** Bytes of locals each recursive call keeps on the stack. */
const FRAME_BYTES = 256;
/** Cycles each call computes. */
const CALL_CYCLES = 3_000;
/** The depth siblings reach: 100 frames of 256 bytes, well inside a 64 KiB stack. */
const SIBLING_DEPTH = 100;

function* recurse(t: Guest, depth: number): Program<number> {
  if (depth === 0) return 0;
  stack_enter(t, FRAME_BYTES);
  yield t.compute(CALL_CYCLES);
  const below = yield* recurse(t, depth - 1);
  stack_leave(t, FRAME_BYTES);
  return below + 1;
}

/** A thread on a `stackBytes` stack recursing `depth` deep; the process exits with the depth reached. */
function* recurser(t: Guest, raw: unknown): Program<number> {
  const { depth, stackBytes } = raw as { depth: number; stackBytes: number };
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  pthread_attr_setstacksize(attr, stackBytes);
  const [err, th] = yield* pthread_create(t, attr, (t2) => recurse(t2, depth), null);
  if (err !== 0) throw new Error(`stackguard: pthread_create failed (${err})`);
  const [, reached] = yield* pthread_join(t, th);
  return reached as number;
}

const RECURSER: ProgramImage = { name: 'stackguard-recurser', main: recurser };

function* stackGuardMain(t: Guest, raw: unknown): Program<number> {
  const args = raw as ProgramArgs;
  const siblings = intArg(args, 'siblings');
  const stackBytes = intArg(args, 'stack_kib') * 1024;
  // Deep enough to pass the stack many times over: only the guard page stops it.
  const runaway = yield* spawn(t, RECURSER, { depth: (stackBytes / FRAME_BYTES) * 64, stackBytes });
  const others: number[] = [];
  for (let i = 0; i < siblings; i++)
    others.push(yield* spawn(t, RECURSER, { depth: SIBLING_DEPTH, stackBytes }));
  const [, status] = yield* waitpid(t, runaway);
  let siblingsOk = 0;
  let killed = WIFSIGNALED(status) ? 1 : 0;
  for (const pid of others) {
    const [, s] = yield* waitpid(t, pid);
    if (WIFEXITED(s) && WEXITSTATUS(s) === SIBLING_DEPTH) siblingsOk++;
    if (WIFSIGNALED(s)) killed++;
  }
  publish(t, 'stackguard', {
    overflowSignal: WIFSIGNALED(status) ? WTERMSIG(status) : 0,
    overflowExitCode: WIFEXITED(status) ? WEXITSTATUS(status) : -1,
    siblingsOk,
    killed,
  });
  return 0;
}

export const STACKGUARD: GuestProgram = {
  image: { name: 'stackguard', main: stackGuardMain },
  doc: 'a runaway recursion meets its thread stack guard page (SIGSEGV); sibling processes finish',
  claims: ['LIBC-8'],
  params: [
    { name: 'siblings', kind: 'int', min: 0, max: 64, fallback: 3, doc: 'well-behaved processes beside it' },
    { name: 'stack_kib', kind: 'int', min: 16, max: 1024, fallback: 64, doc: 'thread stack size in KiB' },
  ],
};
