/**
 * The capring personality's kernel state (issue 20): per process a capability table, a thread
 * reference table (thread-ref.ts) and its rings; per ring the kernel's half (ring.ts) and who
 * waits in cap_enter. Kept beside the kernel (a WeakMap from it), created when a process first
 * enters cap_enter, so a kernel that never sees the trap carries none of it.
 *
 * Ring modes (RING-2, RING-3): `process` — one ring per process at RING_VADDR; one thread at a
 * time may block in cap_enter on it (the capOS v1 rule, "one blocked cap_enter waiter admitted
 * per process", models-2.md §11.6); others queue behind it; every thread's completions land in
 * its one CQ. `thread` — every thread has its own ring at RING_VADDR + slot × RING_BYTES and its
 * completions are routed there by its generation-checked reference.
 */
import { CapSlot, RING_BYTES, RING_THREAD_SLOTS, RING_VADDR, type RingMode } from '../../abi/capring.ts';
import { PROT_READ, PROT_WRITE } from '../../abi/syscalls.ts';
import type { Kernel } from '../kernel.ts';
import type { Process } from '../process.ts';
import type { Thread } from '../thread.ts';
import { peekProcess32, pokeProcess32 } from '../uaccess.ts';
import { NO_DEADLINE } from '../../engine/deadline.ts';
import { RingCore } from './ring.ts';
import { type ThreadRef, ThreadRefTable } from './thread-ref.ts';
import type { RingTimeout } from './timeout.ts';

export interface CapringOptions {
  rings: RingMode;
  /** CQEs the kernel keeps on a ring's overflow list before it drops (io_uring: allocation-bound). */
  overflowCapacity: number;
}

export const CAPRING_DEFAULTS: CapringOptions = { rings: 'process', overflowCapacity: 64 };

/** A capability: the kernel object a slot of the table names. */
export type CapKind = 'memory' | 'threads' | 'timer' | 'park' | 'park-shared' | 'processes' | 'endpoints';

/** One ring and who waits on it. */
export class CapRing {
  readonly addr: number;
  readonly core: RingCore;
  /** The thread blocked in cap_enter on this ring, and how many CQEs it waits for. */
  waiter: Thread | null = null;
  waiterMin = 0;
  /** The cq_tail the waiter last saw, or -1 (enter.ts satisfied()). */
  waiterSinceTail = -1;
  /** Process mode: threads that found `waiter` taken and wait behind it, in arrival order. */
  readonly queue: Thread[] = [];
  /** SQPOLL mode: the ring's kernel poller (sqpoll.ts), or null. */
  sqpoll: SqPoller | null = null;
  /** Armed Timeout operations, earliest first (timeout.ts). */
  readonly timeouts: RingTimeout[] = [];
  /** When the blocked waiter's own timer fires (its timeout or the ring's earliest timeout). */
  waiterTimerNs = NO_DEADLINE;

  constructor(p: Process, addr: number, overflowCapacity: number) {
    this.addr = addr;
    const vm = p.vm;
    this.core = new RingCore(
      {
        load: (o) => peekProcess32(vm, addr + o),
        store: (o, v) => pokeProcess32(vm, addr + o, v),
      },
      overflowCapacity,
    );
  }
}

/** A ring's SQ poller (io_uring's io_sq_data with its one thread). */
export interface SqPoller {
  thread: Thread;
  /** The ring's owner: SQEs the poller runs are its. */
  ownerTid: number;
  sleeping: boolean;
  stop: boolean;
}

/** A live thread of a capring process: its reference and (thread mode) its ring. */
export interface CapThread {
  thread: Thread;
  ref: ThreadRef;
  ring: CapRing;
  /** The code its ThreadExit gave (0 when it left another way). */
  exitCode?: number;
}

/** An operation the kernel accepted and will complete later (a join, a park, a wait). */
export interface PendingOp {
  /** Who submitted it: its completion goes to this reference's ring (or the process ring). */
  ref: ThreadRef;
  userLo: number;
  userHi: number;
}

export class CapProcess {
  readonly process: Process;
  readonly caps: CapKind[] = ['memory', 'threads', 'timer', 'park', 'park-shared', 'processes', 'endpoints'];
  /** Endpoint ids this process may call (endpoint.ts): its own and its ancestors'. */
  readonly endpoints = new Set<number>();
  readonly refs = new ThreadRefTable<CapThread>(RING_THREAD_SLOTS);
  readonly byTid = new Map<number, CapThread>();
  /** Process mode's one ring (RING_VADDR); in thread mode slot 0's. */
  readonly processRing: CapRing;
  /** Thread mode: rings by slot, mapped once and reused with the slot. */
  readonly slotRings: CapRing[] = [];
  /** Joins waiting for a thread, by `slot:generation`. */
  readonly joins = new Map<string, PendingOp[]>();
  /** Waits for a child process, by pid (-1: any). */
  readonly waits: { pid: number; op: PendingOp }[] = [];

  constructor(process: Process, processRing: CapRing) {
    this.process = process;
    this.processRing = processRing;
    this.slotRings[0] = processRing;
  }
}

export interface CapringCounts {
  enters: number;
  sqes: number;
  cqes: number;
  /** Process mode: cap_enter calls that had to wait behind the process's one waiter (RING-2). */
  ownerQueued: number;
  /** Simulated ns threads spent queued behind the owner. */
  ownerQueuedNs: number;
  /** Thread mode: completions whose reference was stale, rejected (RING-3). */
  staleRejected: number;
  /** Process mode: completions for an exited thread, delivered to the shared CQ anyway. */
  staleDelivered: number;
  overflowed: number;
  dropped: number;
  parks: number;
  unparks: number;
  threadsSpawned: number;
  badCap: number;
  /** SQPOLL: SQEs its pollers consumed, times a poller went to sleep, wakeups users asked for. */
  sqpollSqes: number;
  sqpollSleeps: number;
  sqpollWakeups: number;
  /** Timeout operations armed, and those that fired (-ETIME). */
  timeoutsArmed: number;
  timeoutsFired: number;
  /** Endpoints whose server exited, and the calls that completed -EPIPE because of it. */
  endpointsClosed: number;
  callsFailedEpipe: number;
  /** Capabilities moved in a call (CallGrant), and grants refused (the caller lacked it). */
  grants: number;
  grantsRefused: number;
}

export class CapringKernel {
  readonly options: CapringOptions;
  readonly processes = new Map<number, CapProcess>();
  readonly counts: CapringCounts = {
    enters: 0,
    sqes: 0,
    cqes: 0,
    ownerQueued: 0,
    ownerQueuedNs: 0,
    staleRejected: 0,
    staleDelivered: 0,
    overflowed: 0,
    dropped: 0,
    parks: 0,
    unparks: 0,
    threadsSpawned: 0,
    badCap: 0,
    sqpollSqes: 0,
    sqpollSleeps: 0,
    sqpollWakeups: 0,
    timeoutsArmed: 0,
    timeoutsFired: 0,
    endpointsClosed: 0,
    callsFailedEpipe: 0,
    grants: 0,
    grantsRefused: 0,
  };
  /** SQ pollers by their thread id. */
  readonly pollers = new Map<number, SqPoller>();
  /** Park waiters by key (park.ts). */
  readonly parked = new Map<number, { ref: ThreadRef; pid: number; op: PendingOp }[]>();

  constructor(options: CapringOptions) {
    this.options = options;
  }
}

const STATE = new WeakMap<Kernel, CapringKernel>();

/** The kernel's capring state, made on first use from its options. */
export function capringOf(k: Kernel): CapringKernel {
  let s = STATE.get(k);
  if (s === undefined) {
    s = new CapringKernel({ ...CAPRING_DEFAULTS, ...(k.options.capring ?? {}) });
    STATE.set(k, s);
  }
  return s;
}

/** The kernel's capring state if any process ever entered cap_enter, else null. */
export function capringIfAny(k: Kernel): CapringKernel | null {
  return STATE.get(k) ?? null;
}

/** Maps and initialises a ring page at `addr` in `p`; null when memory is short. */
export function mapRing(p: Process, addr: number, overflowCapacity: number, node: number): CapRing | null {
  const at = p.vm.mmapAnonymous(RING_BYTES, PROT_READ | PROT_WRITE, false, node, addr);
  if (at !== addr) return null;
  const ring = new CapRing(p, addr, overflowCapacity);
  ring.core.init();
  return ring;
}

/** The ring address of thread slot `slot` in `mode`. */
export function ringAddrOf(mode: RingMode, slot: number): number {
  return mode === 'process' ? RING_VADDR : RING_VADDR + slot * RING_BYTES;
}

/** The capability table's check: does slot `cap` of `cp` hold `kind`? */
export function capIs(cp: CapProcess, cap: number, kind: CapKind): boolean {
  return cp.caps[cap] === kind;
}

export { CapSlot };
