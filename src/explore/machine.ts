/**
 * One execution of a model under a memory model: threads as effect generators, memory, store
 * buffers, futex queues and the race detector, stepped one agent at a time by a strategy. It
 * records each step's agent, footprint and causes (the steps it must follow besides its
 * agent's previous one), which DPOR's happens-before needs, and ends with a verdict
 * (verdict.ts). Local effects (buffered stores, fences with nothing to wait for, compute) run
 * at once after the step before them: they commute with every other agent's steps, so giving
 * them a scheduling point of their own would only multiply equivalent orders.
 *
 * Why it is about 530 lines, above the house ~400: enabledness, footprints (bit-level since the
 * real K1 code) and the step semantics
 * all read the same private state (store buffers, futex queues, race clocks, and since issue 17's
 * kernel locks the MCS words' waiters) and must agree on it; the futex queues are the next part
 * to move out.
 */
import { AtomicOp, MemOrder, Op } from '../abi/effects.ts';
import { EAGAIN } from '../abi/errno.ts';
import { FUTEX_CMD_MASK, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, SYS_FUTEX } from '../abi/syscalls.ts';
import { type Agents, DRAIN_FIFO } from './agents.ts';
import { type Footprint, LOCAL, reads, readsBits, writes, writesBits } from './footprint.ts';
import type { AwaitEffect, MemoryModelName, ModelInstance, Violation, XEffect, XProgram } from './model.ts';
import { XOp } from './model.ts';
import { Ownership } from './owned.ts';
import { RaceDetector } from './race-detector.ts';
import { StoreBuffers } from './store-buffers.ts';
import { endOfRun } from './verdict.ts';
import { XThread } from './xthread.ts';
import { ExploredLocks, isLockEffect } from './kernel-locks.ts';
import { KernelOp } from '../hw/effects.ts';

export interface Blocked {
  addr: number;
  believed: number;
  woken: boolean;
  wakerStep: number;
}

export interface ThreadState {
  readonly handle: XThread;
  readonly frames: XProgram<unknown>[];
  pending: XEffect | null;
  blocked: Blocked | null;
}

export interface Step {
  agent: number;
  fp: Footprint;
  causes: readonly number[];
  what: string;
  /** The Await this step ran, if it was one (DPOR asks who owns its bits: owned.ts). */
  wait?: AwaitEffect;
}

export interface MachineOptions {
  memory: MemoryModelName;
  /** Write a description of every step (replay and traces); off while searching. */
  describe: boolean;
  stepsMax: number;
}

export class Machine {
  readonly agents: Agents;
  readonly threads: ThreadState[];
  readonly steps: Step[] = [];
  readonly buffers: StoreBuffers;
  readonly mem = new Map<number, number>();
  readonly names: ReadonlyMap<number, string>;
  violation: Violation | null = null;
  /** Per thread, its time under `--timing model` (timing.ts): spends here, steps there. */
  readonly clockNs: Float64Array;
  /** True once no agent can step (or a violation ended the run). */
  over = false;
  readonly instance: ModelInstance;
  readonly #opts: MachineOptions;
  readonly #races: RaceDetector;
  readonly #futex = new Map<number, number[]>();
  readonly #locks: ExploredLocks;
  readonly #owned: Ownership;
  /** Per thread: its drains so far, as (epoch, step index). */
  readonly #drains: { epoch: number; step: number }[][];
  #what = '';

  constructor(instance: ModelInstance, agents: Agents, opts: MachineOptions) {
    this.instance = instance;
    this.#opts = opts;
    this.agents = agents;
    const n = instance.threads.length;
    this.clockNs = new Float64Array(n);
    this.#locks = new ExploredLocks(instance.spinlocks ?? [], n, instance.lockKind);
    this.#owned = new Ownership(instance.owned ?? []);
    this.names =
      this.#locks.names.size === 0
        ? (instance.names ?? new Map())
        : new Map([...(instance.names ?? []), ...this.#locks.names]);
    for (const [addr, value] of instance.init ?? []) this.mem.set(addr, value);
    this.buffers = new StoreBuffers(opts.memory, n);
    this.#races = new RaceDetector(n);
    this.#drains = Array.from({ length: n }, () => []);
    const plain = { read: (a: number) => this.read(a), write: (a: number, v: number) => this.mem.set(a, v) };
    const env = instance.env ?? {};
    this.threads = instance.threads.map((spec, i) => {
      const handle = new XThread(i, spec.name, plain, env);
      return { handle, frames: [spec.run(handle)], pending: null, blocked: null };
    });
    for (let i = 0; i < n && !this.over; i++) this.#pull(i, undefined);
    this.#checkEnd();
  }

  read(addr: number): number {
    return this.mem.get(addr) ?? 0;
  }

  /** What a thread sees at `addr`: its own newest buffered store, else memory. */
  #see(thread: number, addr: number): number {
    return this.buffers.forward(thread, addr) ?? this.read(addr);
  }

  nameOf(addr: number): string {
    return this.names.get(addr) ?? `[${addr}]`;
  }

  /** The agents that can step now, in id order. */
  enabled(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.threads.length; i++) if (this.#threadEnabled(i)) out.push(i);
    if (this.buffers.buffered) {
      for (let i = 0; i < this.threads.length; i++) {
        for (const k of this.buffers.drainable(i)) out.push(this.#drainAgent(i, k));
      }
      out.sort((a, b) => a - b);
    }
    return out;
  }

  #drainAgent(thread: number, index: number): number {
    const addr = this.buffers.model === 'tso' ? DRAIN_FIFO : this.buffers.entries[thread]![index]!.addr;
    return this.agents.drain(thread, addr);
  }

  /** Agents with an action pending, enabled or not (DPOR checks races of blocked ones too). */
  pendingAgents(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.threads.length; i++) if (this.threads[i]!.pending !== null) out.push(i);
    for (let i = 0; i < this.threads.length; i++) {
      for (const k of this.buffers.drainable(i)) out.push(this.#drainAgent(i, k));
    }
    return out;
  }

  #needsEmptyBuffer(e: XEffect): boolean {
    if (!this.buffers.buffered) return false;
    switch (e.op) {
      case Op.Atomic:
        return e.kind !== AtomicOp.Load;
      case Op.Store:
        return e.order === MemOrder.SeqCst;
      case Op.Fence:
        return e.order === MemOrder.SeqCst;
      case Op.Syscall:
      case XOp.Sleep:
      case XOp.Bits:
        return true;
      default:
        return false;
    }
  }

  #threadEnabled(i: number): boolean {
    const t = this.threads[i]!;
    if (t.blocked !== null) return t.blocked.woken;
    const e = t.pending;
    if (e === null) return false;
    if (this.#needsEmptyBuffer(e) && !this.buffers.empty(i)) return false;
    if (e.op === XOp.Await) return e.until(e.addrs.map((a, k) => masked(this.#see(i, a), e.masks, k)));
    return true;
  }

  /** The footprint of `agent`'s pending action. */
  footprint(agent: number): Footprint {
    const info = this.agents.info[agent]!;
    if (!this.agents.isThread(agent)) {
      const k = this.#drainIndex(agent);
      return k < 0 ? LOCAL : writes(this.buffers.entries[info.thread]![k]!.addr);
    }
    const t = this.threads[agent]!;
    const e = t.pending;
    if (e === null || t.blocked !== null) return LOCAL;
    switch (e.op) {
      case Op.Load:
        return reads(e.addr);
      case Op.Store:
        return this.buffers.buffered && e.order !== MemOrder.SeqCst ? LOCAL : writes(e.addr);
      case Op.Atomic:
        return e.kind === AtomicOp.Load ? reads(e.addr) : writes(e.addr);
      case Op.Syscall:
        return writes(Number(e.args[0]));
      case XOp.Sleep:
        return writes(e.addr);
      case XOp.Await:
        return e.masks === undefined ? reads(...e.addrs) : readsBits(e.addrs, e.masks);
      case XOp.Bits:
        return writesBits(e.addr, e.bits);
      default:
        return LOCAL;
    }
  }

  /** Steps `agent`'s pending action must follow besides its own agent's previous one. */
  causes(agent: number): number[] {
    const info = this.agents.info[agent]!;
    if (!this.agents.isThread(agent)) {
      const k = this.#drainIndex(agent);
      if (k < 0) return [];
      const entry = this.buffers.entries[info.thread]![k]!;
      const out = [entry.stepIndex];
      for (const d of this.#drains[info.thread]!) if (d.epoch < entry.epoch) out.push(d.step);
      return out;
    }
    const t = this.threads[agent]!;
    if (t.blocked !== null) return t.blocked.woken ? [t.blocked.wakerStep] : [];
    if (t.pending !== null && this.#needsEmptyBuffer(t.pending))
      return this.#drains[agent]!.map((d) => d.step);
    return [];
  }

  #drainIndex(agent: number): number {
    const info = this.agents.info[agent]!;
    const ks = this.buffers.drainable(info.thread);
    if (info.addr === DRAIN_FIFO) return ks.length > 0 ? 0 : -1;
    const list = this.buffers.entries[info.thread]!;
    for (const k of ks) if (list[k]!.addr === info.addr) return k;
    return -1;
  }

  /** Runs one step of `agent`, which must be enabled. */
  step(agent: number): void {
    const fp = this.footprint(agent);
    const causes = this.causes(agent);
    const index = this.steps.length;
    this.#what = '';
    const pending = this.agents.isThread(agent) ? this.threads[agent]!.pending : null;
    const wait = pending?.op === XOp.Await && this.threads[agent]!.blocked === null ? pending : undefined;
    this.steps.push(
      wait === undefined ? { agent, fp, causes, what: '' } : { agent, fp, causes, what: '', wait },
    );
    if (this.agents.isThread(agent)) this.#threadStep(agent, index);
    else this.#drainStep(agent, index);
    this.steps[index]!.what = this.#what;
    if (!this.over && this.steps.length >= this.#opts.stepsMax) {
      this.#end({ kind: 'livelock', message: `no end after ${this.steps.length} steps (a livelock?)` });
    }
    this.#checkEnd();
  }

  #note(text: () => string): void {
    if (this.#opts.describe) this.#what += this.#what === '' ? text() : `; ${text()}`;
  }

  #drainStep(agent: number, index: number): void {
    const thread = this.agents.info[agent]!.thread;
    const entry = this.buffers.take(thread, this.#drainIndex(agent));
    this.#write(thread, entry.addr, entry.value);
    this.#drains[thread]!.push({ epoch: entry.epoch, step: index });
    this.#note(() => `drain ${this.nameOf(entry.addr)} = ${entry.value}`);
  }

  #threadStep(i: number, index: number): void {
    const t = this.threads[i]!;
    if (t.blocked !== null) {
      const { wakerStep } = t.blocked;
      t.blocked = null;
      this.#note(() => `woken (by step ${wakerStep})`);
      this.#pull(i, 0);
      return;
    }
    const e = t.pending!;
    t.pending = null;
    const resume = this.#exec(i, e, index);
    if (t.blocked === null && !this.over) this.#pull(i, resume);
  }

  /** Fetches the thread's next effect, running local ones (and plain TypeScript) at once. */
  #pull(i: number, resume: unknown): void {
    const t = this.threads[i]!;
    let value = resume;
    while (t.frames.length > 0 && !this.over) {
      const top = t.frames[t.frames.length - 1]!;
      let r: IteratorResult<XEffect, unknown>;
      try {
        r = top.next(value);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.#end({ kind: 'assertion', message: `${t.handle.name} threw: ${message}` });
        return;
      }
      if (r.done) {
        t.frames.pop();
        value = r.value;
        continue;
      }
      const e = r.value;
      if (e.op === Op.Call) {
        t.frames.push(e.program as XProgram<unknown>);
        value = undefined;
        continue;
      }
      if (isLockEffect(e)) {
        t.frames.push(this.#locks.code(t.handle, e)); // the kernel's MCS code, step by step
        value = undefined;
        continue;
      }
      if (e.op === KernelOp.Spend) {
        this.clockNs[i] = this.clockNs[i]! + e.ns; // abstracted, but kept for --timing model (timing.ts)
        value = undefined;
        continue;
      }
      if (this.#isLocal(i, e)) {
        value = this.#exec(i, e, this.steps.length - 1);
        continue;
      }
      t.pending = e;
      return;
    }
  }

  #isLocal(i: number, e: XEffect): boolean {
    switch (e.op) {
      case Op.Compute:
      case XOp.Fail:
        return true;
      case Op.Fence:
        return e.order !== MemOrder.SeqCst || this.buffers.empty(i);
      case Op.Store:
        return this.buffers.buffered && e.order !== MemOrder.SeqCst;
      default:
        return false;
    }
  }

  /** Applies effect `e` of thread `i` in step `index`; returns what the thread resumes with. */
  #exec(i: number, e: XEffect, index: number): unknown {
    switch (e.op) {
      case Op.Load:
        return this.#load(i, e.addr, e.order, index);
      case Op.Store:
        this.#store(i, e.addr, e.value, e.order, index);
        return undefined;
      case Op.Fence:
        if (e.order === MemOrder.Release || e.order === MemOrder.SeqCst) this.buffers.releaseFence(i);
        this.#note(() => `fence ${MemOrder[e.order]}`);
        return undefined;
      case Op.Atomic:
        return this.#atomic(i, e.kind, e.addr, e.a, e.b, index);
      case Op.Syscall:
        return this.#syscall(i, e.nr, e.args, index);
      case XOp.Await:
        return e.addrs.map((a, k) => masked(this.#load(i, a, e.order, index), e.masks, k));
      case XOp.Bits:
        this.#atomic(
          i,
          e.kind === 'or' ? AtomicOp.FetchOr : AtomicOp.FetchAnd,
          e.addr,
          e.kind === 'or' ? e.bits : ~e.bits,
          0,
          index,
        );
        return undefined; // the old value is not handed back: the step reads nothing

      case XOp.Sleep:
        this.#block(i, e.addr, e.believed);
        return undefined;
      case XOp.Fail:
        this.#end({ kind: e.kind, message: `${this.threads[i]!.handle.name}: ${e.message}` });
        return undefined;
      case Op.Compute:
        return undefined;
      default:
        throw new Error(`explore: effect op ${(e as { op: number }).op} is not modelled`);
    }
  }

  #access(i: number, addr: number, write: boolean, order: MemOrder, index: number, what: string): void {
    const race = this.#races.access(i, addr, write, order === MemOrder.Plain, index, what);
    if (race === null) return;
    const name = (n: number) => this.threads[n]!.handle.name;
    const a = race.first;
    const b = race.second;
    this.#end({
      kind: 'data-race',
      message: `${name(a.thread)} ${a.what} (step ${a.step}) and ${name(b.thread)} ${b.what} (step ${b.step}) race on ${this.nameOf(addr)}`,
    });
  }

  #load(i: number, addr: number, order: MemOrder, index: number): number {
    const v = this.#see(i, addr);
    this.#access(i, addr, false, order, index, `load ${MemOrder[order]}`);
    if (order === MemOrder.Acquire || order === MemOrder.SeqCst) this.#races.acquire(i, addr);
    this.#note(() => `load ${this.nameOf(addr)} = ${v} (${MemOrder[order]})`);
    return v;
  }

  #store(i: number, addr: number, value: number, order: MemOrder, index: number): void {
    this.#access(i, addr, true, order, index, `store ${MemOrder[order]}`);
    if (order === MemOrder.Release || order === MemOrder.SeqCst) this.#races.release(i, addr);
    if (this.buffers.buffered && order !== MemOrder.SeqCst) {
      if (order === MemOrder.Release) this.buffers.releaseFence(i);
      this.buffers.push(i, addr, value, index);
      this.#note(() => `store ${this.nameOf(addr)} = ${value} (${MemOrder[order]}, buffered)`);
    } else {
      this.#write(i, addr, value);
      this.#note(() => `store ${this.nameOf(addr)} = ${value} (${MemOrder[order]})`);
    }
  }

  #atomic(i: number, kind: AtomicOp, addr: number, a: number, b: number, index: number): number {
    if (kind === AtomicOp.Load) return this.#load(i, addr, MemOrder.SeqCst, index);
    if (kind === AtomicOp.Store) {
      this.#store(i, addr, a, MemOrder.SeqCst, index);
      return a;
    }
    const old = this.read(addr);
    this.#access(i, addr, true, MemOrder.SeqCst, index, `${AtomicOp[kind]}`);
    this.#races.acquire(i, addr);
    this.#races.release(i, addr);
    const next = rmw(kind, old, a, b);
    this.#write(i, addr, next);
    this.#note(() => `${AtomicOp[kind]} ${this.nameOf(addr)}: ${old} -> ${next}`);
    return old;
  }

  #syscall(i: number, nr: number, args: unknown[], index: number): number {
    const op = Number(args[1]) & FUTEX_CMD_MASK;
    if (nr !== SYS_FUTEX || (op !== FUTEX_WAIT && op !== FUTEX_WAIT_BITSET && op !== FUTEX_WAKE)) {
      throw new Error(
        `explore: system call ${nr} (op ${op}) is not modelled; models may make futex WAIT/WAKE`,
      );
    }
    const addr = Number(args[0]);
    this.#races.acquire(i, addr);
    if (op === FUTEX_WAKE) return this.#wake(i, addr, Number(args[2]), index);
    const expected = Number(args[2]) >>> 0;
    const word = this.read(addr) >>> 0;
    if (word !== expected) {
      this.#note(() => `futex_wait ${this.nameOf(addr)}: ${word} != ${expected}, EAGAIN`);
      return -EAGAIN;
    }
    this.#block(i, addr, Number(args[2]));
    return 0;
  }

  #block(i: number, addr: number, believed: number): void {
    const queue = this.#futex.get(addr) ?? [];
    queue.push(i);
    this.#futex.set(addr, queue);
    this.threads[i]!.blocked = { addr, believed, woken: false, wakerStep: -1 };
    this.#note(() => `sleeps on ${this.nameOf(addr)} (believes ${believed})`);
  }

  #wake(i: number, addr: number, count: number, index: number): number {
    this.#races.release(i, addr);
    const queue = this.#futex.get(addr) ?? [];
    const woken = queue.splice(0, Math.max(0, count));
    for (const w of woken) {
      const b = this.threads[w]!.blocked!;
      b.woken = true;
      b.wakerStep = index;
      this.#races.handOff(i, w);
    }
    this.#note(() => `futex_wake ${this.nameOf(addr)}: woke ${woken.length}`);
    return woken.length;
  }

  #end(v: Violation): void {
    if (this.violation === null) this.violation = v;
    this.over = true;
  }

  /** A shared write by thread `i` to memory, checked against the model's owned bits (owned.ts). */
  #write(i: number, addr: number, value: number): void {
    const owner = this.#owned.trespass(i, addr, this.read(addr), value);
    this.mem.set(addr, value);
    if (owner < 0) return;
    const name = (n: number) => this.threads[n]!.handle.name;
    this.#end({
      kind: 'assertion',
      message: `${name(i)} changed bits of ${this.nameOf(addr)} the model declares only ${name(owner)} changes`,
    });
  }

  /** Whether thread `agent` waits (an Await) on bits only thread `writer` changes (owned.ts). */
  awaitsOwnedBy(agent: number, writer: number): boolean {
    if (!this.agents.isThread(agent)) return false;
    const e = this.threads[agent]!.pending;
    return e !== null && e.op === XOp.Await && this.#owned.ownsAwait(e, writer);
  }

  /** Whether step `k` was an Await on bits only thread `writer` changes. */
  stepAwaitsOwnedBy(k: number, writer: number): boolean {
    const e = this.steps[k]!.wait;
    return e !== undefined && this.#owned.ownsAwait(e, writer);
  }

  #checkEnd(): void {
    if (this.over || this.enabled().length > 0) return;
    this.over = true;
    this.violation = endOfRun(this, this.instance);
  }
}

/** An Await's word as its condition sees it: ANDed with its mask, when it has masks. */
function masked(value: number, masks: readonly number[] | undefined, k: number): number {
  return masks === undefined ? value : (value & masks[k]!) >>> 0;
}

function rmw(kind: AtomicOp, old: number, a: number, b: number): number {
  switch (kind) {
    case AtomicOp.Exchange:
      return a;
    case AtomicOp.CompareExchange:
      return old === a ? b : old;
    case AtomicOp.FetchAdd:
      return (old + a) | 0;
    case AtomicOp.FetchOr:
      return old | a;
    case AtomicOp.FetchAnd:
      return old & a;
    default:
      throw new Error(`explore: atomic ${kind} is not an RMW`);
  }
}
