/**
 * The reference loop of `smpsim bench`: the least work any discrete-event simulator of generators
 * must do per effect. N generators yield one small reused effect object; the loop pops the
 * earliest event, resumes that generator, reads the effect and pushes its completion time.
 *
 * It uses the engine's own `EventQueue`, so the ratio between the simulator's rate and this one
 * isolates everything the simulator adds on top of heap + generator (CPUs, frames, accounting,
 * the trace hash, interrupts, the kernel) rather than differences between heaps.
 *
 * Wall-clock reads are allowed here: this is the report layer measuring the simulator, not code
 * inside a simulation (DESIGN.md, "Determinism").
 * @module
 */
import { EventHeap } from '../engine/event-heap.ts';

/** The reference CPU's clock: 3 GHz, as the benchmark's simulated machine. */
const CYCLES_PER_NS = 3;
/** The only event kind the reference loop schedules: "generator `arg` finished its effect". */
const KIND_RESUME = 0;

export interface ReferenceResult {
  /** Effects the generators yielded (exactly the number asked for). */
  effects: number;
  /** Events popped from the queue (one per effect, plus one final pop per generator). */
  events: number;
  wallMs: number;
}

/** The shape of the compute effect guests yield (`abi/effects.ts` ComputeEffect). */
interface ReferenceEffect {
  op: number;
  n: number;
}

function* referenceGenerator(effect: ReferenceEffect, count: number): Generator<ReferenceEffect, void> {
  for (let i = 0; i < count; i++) yield effect;
}

/**
 * Runs `effects` compute effects of `cycles` cycles each, spread as evenly as possible over
 * `generators` generators, and times the loop (building the generators is not timed).
 */
export function referenceLoop(effects: number, generators: number, cycles = 30_000): ReferenceResult {
  if (!Number.isInteger(effects) || effects < 0) throw new Error(`referenceLoop: bad effects ${effects}`);
  if (!Number.isInteger(generators) || generators < 1) {
    throw new Error(`referenceLoop: bad generators ${generators}`);
  }
  const effect: ReferenceEffect = { op: 0, n: cycles };
  const gens: Generator<ReferenceEffect, void>[] = [];
  const base = Math.floor(effects / generators);
  const extra = effects % generators;
  for (let g = 0; g < generators; g++) gens.push(referenceGenerator(effect, base + (g < extra ? 1 : 0)));

  const queue = new EventHeap();
  const start = performance.now();
  for (let g = 0; g < generators; g++) queue.push(0, KIND_RESUME, g, 0);
  let done = 0;
  let events = 0;
  while (queue.pop()) {
    events++;
    const nowNs = queue.poppedTimeNs;
    const g = queue.poppedArg;
    const result = gens[g]!.next();
    if (result.done === true) continue;
    done++;
    const e = result.value;
    const delayNs = e.op === 0 ? Math.max(1, Math.round(e.n / CYCLES_PER_NS)) : 1;
    queue.push(nowNs + delayNs, KIND_RESUME, g, 0);
  }
  const wallMs = performance.now() - start;
  return { effects: done, events, wallMs };
}
