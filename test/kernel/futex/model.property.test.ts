/**
 * The futex table against a reference model (issue 4, FUTEX-1..5, FUTEX-8): random sequences of
 * WAIT, WAIT_BITSET (with and without timeouts), WAKE, WAKE_BITSET, REQUEUE, CMP_REQUEUE,
 * WAKE_OP and plain stores, issued by several threads on three words, private and shared keys
 * mixed. Each call runs alone in its own 5 ms step, so the model needs no interleavings: it is
 * a list of waiters in queue order, each with its key, bitset and timeout. Compared per thread:
 * what each call returned and in which step it returned (so who was woken, and by which call),
 * then the final words.
 *
 * The model is Linux's futex(2): WAKE and WAKE_OP count a waiter before they test the limit, so
 * asking for 0 still wakes one; REQUEUE refuses negative counts with EINVAL; a key is the word
 * and whether the call was PRIVATE (a private and a shared call on one word never meet, as
 * Linux's keys differ); WAKE_OP applies its operation to the second word before it wakes; a
 * timeout ends a wait with ETIMEDOUT and leaves no entry. Each thread is SCHED_OTHER or
 * SCHED_FIFO (10 or 50), and the queue is Linux's plist (kernel/futex/core.c, __futex_queue): a
 * waiter goes behind every waiter of the same or better priority, where a FIFO p thread has
 * priority 99 - p and every SCHED_OTHER thread shares MAX_RT_PRIO (100), so SCHED_OTHER waiters
 * wake in FIFO order after the real-time ones; REQUEUE moves waiters in queue order, each put
 * behind the target's waiters of the same or better priority (plist_add).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Program } from '../../../src/abi/effects.ts';
import { AtomicOp } from '../../../src/abi/effects.ts';
import { EAGAIN, EINVAL, ETIMEDOUT } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import {
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CMP_REQUEUE,
  FUTEX_PRIVATE_FLAG,
  FUTEX_REQUEUE,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
  SYS_FUTEX,
} from '../../../src/abi/syscalls.ts';
import { encodeWakeOp } from '../../../src/kernel/futex/wake-op.ts';
import { SCHED_FIFO } from '../../../src/abi/sched.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../../src/libc/pthread.ts';
import { sched_setscheduler } from '../../../src/libc/sched.ts';
import { mmap_anonymous, syscall } from '../../../src/libc/sys.ts';
import { clock_gettime_ns, sleep_ns, timespec_ns } from '../../../src/libc/time.ts';
import { runGuest } from '../../support/guest.ts';

const STEP_NS = 5_000_000;
/** When step 0 begins: the workers have been created and are sleeping by then. */
const BASE_NS = 20_000_000;
const WORDS = 2;
const INT_MAX = 0x7fffffff;

type Op =
  | { kind: 'store'; word: number; value: number }
  | { kind: 'wait'; word: number; priv: boolean; val: number; bitset: number | null; timeoutSteps: number }
  | { kind: 'wake'; word: number; priv: boolean; n: number; bitset: number | null }
  | { kind: 'requeue'; word: number; priv: boolean; n: number; n2: number; to: number; cmp: number | null }
  | {
      kind: 'wakeop';
      word: number;
      priv: boolean;
      n: number;
      n2: number;
      to: number;
      op: number;
      shift: boolean;
      oparg: number;
      cmp: number;
      cmparg: number;
    };

interface Step {
  step: number;
  thread: number;
  op: Op;
}

/** What one call returned, and the step during which it returned. */
type Outcome = [step: number, result: number];

interface Waiter {
  thread: number;
  /** Its plist priority: 99 - p for SCHED_FIFO p, 100 (MAX_RT_PRIO) for SCHED_OTHER. */
  prio: number;
  key: string;
  bitset: number;
  /** The step before which it times out (it expires half a step earlier); Infinity: never. */
  expiresBefore: number;
  /** Where its outcome goes in its thread's list. */
  slot: number;
}

const keyOf = (word: number, priv: boolean) => `${word}${priv ? 'p' : 's'}`;

function applyWakeOp(old: number, op: number, shift: boolean, oparg: number): number {
  const arg = shift ? 1 << oparg : oparg;
  switch (op) {
    case 0:
      return arg; // SET
    case 1:
      return (old + arg) | 0; // ADD
    case 2:
      return old | arg; // OR
    case 3:
      return old & ~arg; // ANDN
    default:
      return old ^ arg; // XOR
  }
}

function compare(old: number, cmp: number, arg: number): boolean {
  const v = old | 0;
  return [v === arg, v !== arg, v < arg, v <= arg, v > arg, v >= arg][cmp]!;
}

/** The reference model: runs the script and says what every call returns, and when. */
class Model {
  readonly words = new Array<number>(WORDS).fill(0);
  /** Every key's waiters in one list, sorted by priority and FIFO among equals. */
  readonly queue: Waiter[] = [];
  readonly outcomes: Outcome[][];
  readonly rtPrios: readonly number[];

  constructor(rtPrios: readonly number[]) {
    this.rtPrios = rtPrios;
    this.outcomes = rtPrios.map(() => []);
  }

  prioOf(thread: number): number {
    const rt = this.rtPrios[thread]!;
    return rt > 0 ? 99 - rt : 100;
  }

  /** plist_add: behind every waiter of the same or better priority. */
  #enqueue(w: Waiter): void {
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.prio > w.prio) i--;
    this.queue.splice(i, 0, w);
  }

  blocked(thread: number): boolean {
    return this.queue.some((w) => w.thread === thread);
  }

  /** Ends the waits whose timeout falls before `step`. */
  expire(step: number): void {
    for (let i = 0; i < this.queue.length; ) {
      const w = this.queue[i]!;
      if (w.expiresBefore <= step) {
        this.queue.splice(i, 1);
        this.outcomes[w.thread]![w.slot] = [w.expiresBefore - 1, -ETIMEDOUT];
      } else {
        i++;
      }
    }
  }

  /** Wakes up to `n` waiters of `key` whose bitset meets `bitset`, in queue order. */
  #wake(step: number, key: string, n: number, bitset: number): number {
    let woken = 0;
    for (let i = 0; i < this.queue.length && woken < n; ) {
      const w = this.queue[i]!;
      if (w.key === key && (w.bitset & bitset) !== 0) {
        this.queue.splice(i, 1);
        this.outcomes[w.thread]![w.slot] = [step, 0];
        woken++;
      } else {
        i++;
      }
    }
    return woken;
  }

  run(s: Step): void {
    const r = this.#outcome(s);
    if (r !== null) this.outcomes[s.thread]!.push([s.step, r]);
  }

  /** What the call returns at once, or null when it blocks (its outcome comes later). */
  #outcome(s: Step): number | null {
    const out = this.outcomes[s.thread]!;
    const op = s.op;
    switch (op.kind) {
      case 'store':
        this.words[op.word] = op.value;
        return 0;
      case 'wait': {
        if (op.bitset === 0) return -EINVAL;
        if (this.words[op.word] !== op.val) return -EAGAIN;
        const expiresBefore = op.timeoutSteps > 0 ? s.step + op.timeoutSteps + 1 : Number.POSITIVE_INFINITY;
        const slot = out.length;
        out.push([-1, 1]); // filled in when it ends
        const bitset = op.bitset ?? FUTEX_BITSET_MATCH_ANY;
        const key = keyOf(op.word, op.priv);
        this.#enqueue({ thread: s.thread, prio: this.prioOf(s.thread), key, bitset, expiresBefore, slot });
        return null;
      }
      case 'wake':
        if (op.bitset === 0) return -EINVAL;
        return this.#wake(
          s.step,
          keyOf(op.word, op.priv),
          Math.max(op.n, 1),
          op.bitset ?? FUTEX_BITSET_MATCH_ANY,
        );
      case 'requeue': {
        if (op.n < 0 || op.n2 < 0) return -EINVAL;
        if (op.cmp !== null && this.words[op.word] !== op.cmp) return -EAGAIN;
        const from = keyOf(op.word, op.priv);
        const woken = this.#wake(s.step, from, op.n, FUTEX_BITSET_MATCH_ANY);
        const moving = this.queue.filter((w) => w.key === from).slice(0, op.n2);
        for (const w of moving) {
          this.queue.splice(this.queue.indexOf(w), 1);
          this.#enqueue({ ...w, key: keyOf(op.to, op.priv) });
        }
        return woken + moving.length;
      }
      case 'wakeop': {
        const old = this.words[op.to]!;
        this.words[op.to] = applyWakeOp(old, op.op, op.shift, op.oparg) >>> 0;
        let woken = this.#wake(s.step, keyOf(op.word, op.priv), Math.max(op.n, 1), FUTEX_BITSET_MATCH_ANY);
        if (compare(old, op.cmp, op.cmparg)) {
          woken += this.#wake(s.step, keyOf(op.to, op.priv), Math.max(op.n2, 1), FUTEX_BITSET_MATCH_ANY);
        }
        return woken;
      }
    }
  }
}

/** One generated step before a thread is chosen for it: `pick` selects among the runnable ones. */
interface RawStep {
  pick: number;
  op: Op;
}

const word = fc.integer({ min: 0, max: WORDS - 1 });
const small = fc.integer({ min: 0, max: 3 });
/** A wait's expected value: mostly the word's current value (-1), so that most waits block. */
const expected = fc.constantFrom(-1, -1, -1, -1, 0, 1);
const count = fc.constantFrom(0, 1, 1, 2, INT_MAX);
const requeueCount = fc.constantFrom(-1, 0, 0, 1, 1, INT_MAX, INT_MAX);
const bitset = fc.constantFrom<number | null>(null, null, 0b01, 0b10, 0b11, 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('store' as const), word, value: small }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      word,
      priv: fc.boolean(),
      val: expected,
      bitset,
      timeoutSteps: fc.constantFrom(0, 0, 1, 3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      word,
      priv: fc.boolean(),
      val: small,
      bitset,
      timeoutSteps: fc.constant(0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('wake' as const), word, priv: fc.boolean(), n: count, bitset }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('requeue' as const),
      word,
      priv: fc.boolean(),
      n: requeueCount,
      n2: requeueCount,
      to: word,
      cmp: fc.constantFrom<number | null>(null, 0, 1, 2),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wakeop' as const),
      word,
      priv: fc.boolean(),
      n: count,
      n2: count,
      to: word,
      op: fc.integer({ min: 0, max: 4 }),
      shift: fc.boolean(),
      oparg: fc.integer({ min: 0, max: 7 }),
      cmp: fc.integer({ min: 0, max: 5 }),
      cmparg: fc.integer({ min: 0, max: 7 }),
    }),
  },
);

/**
 * The generated op made concrete against the model's words: a wait whose `val` is -1 expects
 * the word's current value (so it blocks), and requeue and WAKE_OP go between two different
 * words (the same word is a separate Linux path).
 */
function concrete(op: Op, words: readonly number[]): Op {
  if (op.kind === 'wait' && op.val < 0) return { ...op, val: words[op.word]! };
  if ((op.kind === 'requeue' || op.kind === 'wakeop') && op.to === op.word) {
    return { ...op, to: (op.word + 1) % WORDS };
  }
  return op;
}

interface Script {
  threads: number;
  /** Each thread's SCHED_FIFO priority, or 0 for SCHED_OTHER. */
  rtPrios: number[];
  steps: Step[];
  /** The step of the final wake-everything calls made by the main thread. */
  finalStep: number;
  model: Model;
  finalWakes: number[];
}

/** Assigns each raw step to a thread that is not blocked in the model, and runs the model. */
function buildScript(rtPrios: number[], raw: RawStep[]): Script {
  const threads = rtPrios.length;
  const model = new Model(rtPrios);
  const steps: Step[] = [];
  raw.forEach((r, step) => {
    model.expire(step);
    const free = Array.from({ length: threads }, (_, i) => i).filter((i) => !model.blocked(i));
    if (free.length === 0) return; // everyone waits: the step passes (timeouts may end waits)
    const s: Step = { step, thread: free[r.pick % free.length]!, op: concrete(r.op, model.words) };
    steps.push(s);
    model.run(s);
  });
  const finalStep = raw.length + 4; // after every timeout (at most 3 steps) has expired
  model.expire(finalStep);
  const finalWakes: number[] = [];
  for (let w = 0; w < WORDS; w++) {
    for (const priv of [false, true]) {
      let woken = 0;
      for (let i = 0; i < model.queue.length; ) {
        const waiter = model.queue[i]!;
        if (waiter.key === keyOf(w, priv)) {
          model.queue.splice(i, 1);
          model.outcomes[waiter.thread]![waiter.slot] = [finalStep, 0];
          woken++;
        } else {
          i++;
        }
      }
      finalWakes.push(woken);
    }
  }
  return { threads, rtPrios, steps, finalStep, model, finalWakes };
}

interface Observed {
  outcomes: Outcome[][];
  finalWakes: number[];
  words: number[];
  entriesLeft: number;
  finished: boolean;
  faults: readonly unknown[];
}

/** Runs the script on a 2-CPU machine with the linux futex mode and `shards` table locks. */
function runScript(script: Script, shards: number): Observed {
  const outcomes: Outcome[][] = Array.from({ length: script.threads }, () => []);
  const finalWakes: number[] = [];
  const words: number[] = [];
  const stepOf = (nowNs: number) => Math.floor((nowNs - BASE_NS) / STEP_NS);
  function* sleepUntil(t: Guest, step: number): Program<void> {
    const now = yield* clock_gettime_ns(t);
    const target = BASE_NS + step * STEP_NS;
    if (target > now) yield* sleep_ns(t, target - now);
  }
  function* call(t: Guest, base: number, op: Op, step: number): Program<number> {
    const addr = (w: number) => base + 4 * w;
    const flag = 'priv' in op && op.priv ? FUTEX_PRIVATE_FLAG : 0;
    switch (op.kind) {
      case 'store':
        yield t.atomic(AtomicOp.Store, addr(op.word), op.value);
        return 0;
      case 'wait':
        if (op.bitset === null) {
          const timeout =
            op.timeoutSteps > 0 ? yield* timespec_ns(t, op.timeoutSteps * STEP_NS + STEP_NS / 2) : 0;
          return yield* syscall(t, SYS_FUTEX, addr(op.word), FUTEX_WAIT | flag, op.val, timeout, 0, 0);
        } else {
          // WAIT_BITSET's timeout is absolute on CLOCK_MONOTONIC.
          const at =
            op.timeoutSteps > 0
              ? yield* timespec_ns(t, BASE_NS + (step + op.timeoutSteps) * STEP_NS + STEP_NS / 2)
              : 0;
          return yield* syscall(
            t,
            SYS_FUTEX,
            addr(op.word),
            FUTEX_WAIT_BITSET | flag,
            op.val,
            at,
            0,
            op.bitset,
          );
        }
      case 'wake':
        if (op.bitset === null) return yield* syscall(t, SYS_FUTEX, addr(op.word), FUTEX_WAKE | flag, op.n);
        return yield* syscall(t, SYS_FUTEX, addr(op.word), FUTEX_WAKE_BITSET | flag, op.n, -1, 0, op.bitset);
      case 'requeue':
        return yield* syscall(
          t,
          SYS_FUTEX,
          addr(op.word),
          (op.cmp === null ? FUTEX_REQUEUE : FUTEX_CMP_REQUEUE) | flag,
          op.n,
          op.n2,
          addr(op.to),
          op.cmp ?? 0,
        );
      case 'wakeop': {
        const encoded = encodeWakeOp(op.op | (op.shift ? 8 : 0), op.oparg, op.cmp, op.cmparg);
        return yield* syscall(
          t,
          SYS_FUTEX,
          addr(op.word),
          FUTEX_WAKE_OP | flag,
          op.n,
          op.n2,
          addr(op.to),
          encoded,
        );
      }
    }
  }
  function* worker(t: Guest, raw: unknown): Program<number> {
    const { base, index } = raw as { base: number; index: number };
    const rtPrio = script.rtPrios[index]!;
    if (rtPrio > 0 && (yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: rtPrio })) !== 0) {
      throw new Error(`sched_setscheduler(FIFO ${rtPrio}) failed`);
    }
    for (const s of script.steps) {
      if (s.thread !== index) continue;
      yield* sleepUntil(t, s.step);
      const r = yield* call(t, base, s.op, s.step);
      outcomes[index]!.push([stepOf(yield* clock_gettime_ns(t)), r]);
    }
    return 0;
  }
  const run = runGuest(
    function* (t) {
      const base = yield* mmap_anonymous(t, 4096);
      const handles: pthread_t[] = [];
      for (let index = 0; index < script.threads; index++) {
        handles.push((yield* pthread_create(t, null, worker, { base, index }))[1]);
      }
      yield* sleepUntil(t, script.finalStep);
      for (let w = 0; w < WORDS; w++) {
        for (const flag of [0, FUTEX_PRIVATE_FLAG]) {
          finalWakes.push(yield* syscall(t, SYS_FUTEX, base + 4 * w, FUTEX_WAKE | flag, INT_MAX));
        }
      }
      for (const h of handles) yield* pthread_join(t, h);
      for (let w = 0; w < WORDS; w++) words.push(t.load32(base + 4 * w));
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards }, costs: { computeJitterPpm: 0 }, simNsMax: 5_000_000_000 },
  );
  return {
    outcomes,
    finalWakes,
    words,
    entriesLeft: run.kernel.futex.entryCount(),
    finished: run.kernel.finished,
    faults: run.kernel.faults,
  };
}

const scriptArb = fc
  .record({
    rtPrios: fc.array(fc.constantFrom(0, 0, 10, 50), { minLength: 3, maxLength: 6 }),
    raw: fc.array(fc.record({ pick: fc.nat(), op: opArb }), { minLength: 8, maxLength: 30, size: 'max' }),
  })
  .map(({ rtPrios, raw }) => buildScript(rtPrios, raw));

for (const shards of [1, 64]) {
  test(`random futex sequences from many threads match the reference model (linux mode, ${shards} table lock${shards > 1 ? 's' : ''})`, () => {
    fc.assert(
      fc.property(scriptArb, (script) => {
        const seen = runScript(script, shards);
        assert.equal(seen.finished, true, 'the run finished');
        assert.deepEqual(seen.outcomes, script.model.outcomes, 'per thread: [step, result] of every call');
        assert.deepEqual(seen.finalWakes, script.finalWakes, 'the final wakes');
        assert.deepEqual(seen.words, script.model.words, 'the words');
        assert.equal(seen.entriesLeft, 0, 'no entry left in the table');
        assert.deepEqual(seen.faults, [], 'no guest fault');
      }),
      { numRuns: 60, seed: 4 + shards },
    );
  });
}

test('the model is not vacuous: a script with a wake, a requeue and a timeout predicts them', () => {
  const wait = (w: number, timeoutSteps = 0): Op => ({
    kind: 'wait',
    word: w,
    priv: true,
    val: 0,
    bitset: null,
    timeoutSteps,
  });
  const script = buildScript(
    [0, 0, 0, 0],
    [
      { pick: 0, op: wait(0) }, // thread 0 waits on word 0
      { pick: 0, op: wait(0) }, // thread 1 (the first free one)
      { pick: 0, op: wait(1, 1) }, // thread 2 waits on word 1, times out before step 4
      { pick: 0, op: { kind: 'requeue', word: 0, priv: true, n: 1, n2: 1, to: 1, cmp: 0 } }, // thread 3
      // A shared wake of word 1 does not meet the private waiter there.
      { pick: 0, op: { kind: 'wake', word: 1, priv: false, n: INT_MAX, bitset: null } },
    ],
  );
  assert.equal(script.finalStep, 9);
  assert.deepEqual(script.model.outcomes, [
    [
      [3, 0], // woken by the requeue
      [4, 0], // free again, picked for the shared wake
    ],
    [[9, 0]], // moved to word 1, woken by the final wake of (word 1, private)
    [[3, -ETIMEDOUT]], // at 3.5 steps
    [[3, 2]], // one woken + one moved
  ]);
  assert.deepEqual(script.finalWakes, [0, 0, 0, 1]);
  const seen = runScript(script, 64);
  assert.deepEqual(seen.outcomes, script.model.outcomes);
  assert.deepEqual(seen.finalWakes, script.finalWakes);
});

test('the model follows the plist: a real-time waiter wakes first, SCHED_OTHER ones in FIFO order', () => {
  const wait = (w: number): Op => ({
    kind: 'wait',
    word: w,
    priv: true,
    val: 0,
    bitset: null,
    timeoutSteps: 0,
  });
  const wakeOne: Op = { kind: 'wake', word: 0, priv: true, n: 1, bitset: null };
  // Threads 0 and 2 are SCHED_OTHER, thread 1 SCHED_FIFO 50, thread 3 SCHED_FIFO 10.
  const script = buildScript(
    [0, 50, 0, 10],
    [
      { pick: 0, op: wait(0) }, // thread 0
      { pick: 0, op: wait(0) }, // thread 1, the first free one
      { pick: 0, op: wait(0) }, // thread 2
      { pick: 0, op: wakeOne }, // thread 3: wakes thread 1, the real-time one
      { pick: 1, op: wakeOne }, // free: 1 and 3; picks 3: wakes thread 0, the first SCHED_OTHER
    ],
  );
  assert.deepEqual(script.model.outcomes, [
    [[4, 0]],
    [[3, 0]],
    [[9, 0]],
    [
      [3, 1],
      [4, 1],
    ],
  ]);
  assert.deepEqual(script.finalWakes, [0, 1, 0, 0]);
  const seen = runScript(script, 64);
  assert.deepEqual(seen.outcomes, script.model.outcomes);
  assert.deepEqual(seen.finalWakes, script.finalWakes);
});
