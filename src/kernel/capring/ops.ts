/**
 * The capability calls an SQE can make (abi/capring.ts CapOp), each served by a kernel object
 * named by the SQE's capability slot (RING-1): memory (map), threads (spawn, exit, join), the
 * timer (clock), park spaces (park.ts), processes (spawn, wait). A slot of the wrong kind answers
 * -EBADF, an unknown opcode -EINVAL, both as CQEs, as io_uring answers a bad SQE with a CQE.
 * Operations that cannot complete at once (join, park, wait) are kept and completed later.
 */
import { EBADF, ECHILD, EINVAL, ENOMEM, ESRCH } from '../../abi/errno.ts';
import { CAP_CODE_TABLE, type CapImage, CapOp, type CapThreadStart } from '../../abi/capring.ts';
import { PROT_NONE, PROT_READ, PROT_WRITE } from '../../abi/syscalls.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { PAGE_SIZE } from '../../hw/memory.ts';
import type { Kernel } from '../kernel.ts';
import { ProcessState } from '../process.ts';
import { STACK_BYTES_DEFAULT, startMainThread, sysExit } from '../proc.ts';
import type { Thread } from '../thread.ts';
import { userCode } from '../uaccess.ts';
import { complete } from './complete.ts';
import { endpointCall, endpointCreate, endpointRecv, endpointReturn } from './endpoint.ts';
import { park, unpark } from './park.ts';
import { sqpollStart, sqpollStop } from './sqpoll.ts';
import { ringTimeoutSubmit } from './timeout.ts';
import type { Sqe } from './ring.ts';
import {
  type CapKind,
  type CapProcess,
  type CapRing,
  type CapringKernel,
  type CapThread,
  mapRing,
  type PendingOp,
  ringAddrOf,
} from './state.ts';

/** What each opcode needs its slot to hold. */
const NEEDS: Record<number, CapKind> = {
  [CapOp.Nop]: 'timer',
  [CapOp.ClockRead]: 'timer',
  [CapOp.ThreadSpawn]: 'threads',
  [CapOp.ThreadExit]: 'threads',
  [CapOp.ThreadJoin]: 'threads',
  [CapOp.Map]: 'memory',
  [CapOp.Spawn]: 'processes',
  [CapOp.Wait]: 'processes',
  [CapOp.SqpollStart]: 'threads',
  [CapOp.SqpollStop]: 'threads',
  [CapOp.EndpointCreate]: 'endpoints',
  [CapOp.Call]: 'endpoints',
  [CapOp.Recv]: 'endpoints',
  [CapOp.Return]: 'endpoints',
  [CapOp.Timeout]: 'timer',
  [CapOp.CallGrant]: 'endpoints',
};

export interface OpContext {
  k: Kernel;
  cpu: Cpu;
  cs: CapringKernel;
  cp: CapProcess;
  me: CapThread;
}

/** Runs one SQE. Never blocks; ThreadExit never returns. */
export function* dispatch(c: OpContext, sqe: Sqe): KernelGen<void> {
  const { k, cpu, cs, cp, me } = c;
  yield spend(k.board.costs.capSqeNs);
  cs.counts.sqes++;
  const op: PendingOp = { ref: me.ref, userLo: sqe.userLo, userHi: sqe.userHi };
  const done = (result: number, value = 0) => complete(k, cpu, cs, cp, op, result, value);
  const [a0, a1] = sqe.args;
  const kind = cp.caps[sqe.cap];
  const isPark = sqe.opcode === CapOp.Park || sqe.opcode === CapOp.Unpark;
  const okCap = isPark ? kind === 'park' || kind === 'park-shared' : kind === NEEDS[sqe.opcode];
  if (NEEDS[sqe.opcode] === undefined && !isPark) return yield* done(-EINVAL);
  if (!okCap) {
    cs.counts.badCap++;
    return yield* done(-EBADF);
  }
  const shared = kind === 'park-shared';
  switch (sqe.opcode) {
    case CapOp.Nop:
      return yield* done(0);
    case CapOp.ClockRead:
      return yield* done(0, k.nowNs);
    case CapOp.ThreadSpawn: {
      const image = codeOf(cp, a0);
      if (image === null) return yield* done(-EINVAL);
      const made = yield* spawnThread(c, image);
      return yield* made === null ? done(-ENOMEM) : done(made.ref.slot, made.ref.generation);
    }
    case CapOp.ThreadExit:
      me.exitCode = a0 | 0;
      return yield* sysExit(k, cpu, me.thread, a0 | 0);
    case CapOp.ThreadJoin:
      return yield* join(c, op, { slot: a0, generation: a1 });
    // PARK/UNPARK's word address is 48-bit (issue 15): its low 32 bits in arg0, the high in arg2.
    case CapOp.Park:
      return yield* park(k, cpu, cs, cp, me.thread, op, { addr: parkAddr(sqe.args), expected: a1, shared });
    case CapOp.Unpark:
      return yield* done(
        yield* unpark(k, cpu, cs, me.thread, { addr: parkAddr(sqe.args), count: a1, shared }),
      );
    case CapOp.Map: {
      yield spend(Math.ceil(a0 / PAGE_SIZE) * k.board.costs.pageMapNs);
      const node = k.topology.memoryNodeOf(cpu.id);
      const addr = cp.process.vm.mmapAnonymous(a0, PROT_READ | PROT_WRITE, a1 === 1, node);
      return yield* addr < 0 ? done(-ENOMEM) : done(0, addr);
    }
    case CapOp.Spawn:
      return yield* spawnProcess(c, op, codeOf(cp, a0));
    case CapOp.Wait:
      return yield* wait(c, op, a0 | 0);
    case CapOp.SqpollStart:
      return yield* done(yield* sqpollStart(c));
    case CapOp.SqpollStop:
      return yield* done(yield* sqpollStop(k, cpu, me.ring));
    case CapOp.EndpointCreate:
    case CapOp.Call:
    case CapOp.CallGrant:
    case CapOp.Recv:
    case CapOp.Return:
      return yield* dispatchEndpoint(c, op, sqe);
    case CapOp.Timeout:
      return yield* ringTimeoutSubmit(k, cpu, cs, cp, me.ring, { ...op, tid: me.thread.id }, sqe.args);
  }
}

/** The endpoint capability's operations (endpoint.ts). */
function* dispatchEndpoint(c: OpContext, op: PendingOp, sqe: Sqe): KernelGen<void> {
  const { k, cpu, cs, cp } = c;
  const [a0, a1, a2] = sqe.args;
  switch (sqe.opcode) {
    case CapOp.EndpointCreate:
      return yield* complete(k, cpu, cs, cp, op, endpointCreate(cs, cp));
    case CapOp.Call:
      return yield* endpointCall(k, cpu, cs, cp, op, a0, a1);
    case CapOp.CallGrant:
      return yield* endpointCall(k, cpu, cs, cp, op, a0, a1, a2);
    case CapOp.Recv:
      return yield* endpointRecv(k, cpu, cs, cp, op, a0);
    case CapOp.Return:
      return yield* endpointReturn(k, cpu, cs, cp, op, { callId: a0, result: a1, value: a2 });
  }
}

/**
 * A new thread of the process in one call (where the Redox personality takes three proc-scheme
 * round trips, SCHED-12): its context, a stack with a guard page, its reference, and in thread
 * mode its own ring (a reused slot's page is reset). It starts at `image.entry` with a
 * CapThreadStart.
 */
export function* spawnThread(c: OpContext, image: CapImage): KernelGen<CapThread | null> {
  const { k, cpu, cs, cp, me } = c;
  yield spend(k.board.costs.threadSetupNs);
  const p = cp.process;
  const thread = k.createThread(p);
  if (thread === null) return null;
  thread.affinity = me.thread.affinity;
  thread.sigMask = me.thread.sigMask;
  const node = k.topology.memoryNodeOf(cpu.id);
  const stack = p.vm.mmapAnonymous(STACK_BYTES_DEFAULT + PAGE_SIZE, PROT_READ | PROT_WRITE, false, node);
  if (stack < 0) return null;
  p.vm.mprotect(stack, PAGE_SIZE, PROT_NONE);
  thread.stackTop = stack + PAGE_SIZE + STACK_BYTES_DEFAULT;
  const made = registerThread(cs, cp, thread, node);
  if (made === null) return null;
  cs.counts.threadsSpawned++;
  const start: CapThreadStart = {
    arg: image.arg,
    slot: made.ref.slot,
    generation: made.ref.generation,
    ringAddr: made.ring.addr,
  };
  k.setEntry(thread, image.entry, start, false, null);
  yield* k.policy.start(cpu, thread);
  return made;
}

/** Gives `thread` a reference and a ring (the process's, or its slot's in thread mode). */
export function registerThread(
  cs: CapringKernel,
  cp: CapProcess,
  thread: Thread,
  node: number,
): CapThread | null {
  const placeholder = { thread, ref: { slot: -1, generation: 0 }, ring: cp.processRing } as CapThread;
  const ref = cp.refs.allocate(placeholder);
  if (ref === null) return null;
  placeholder.ref = ref;
  if (cs.options.rings === 'thread') {
    let ring: CapRing | null = cp.slotRings[ref.slot] ?? null;
    if (ring === null) {
      ring = mapRing(cp.process, ringAddrOf('thread', ref.slot), cs.options.overflowCapacity, node);
      if (ring === null) {
        cp.refs.release(ref, 0);
        return null;
      }
      cp.slotRings[ref.slot] = ring;
    } else {
      ring.core.reset(); // a reused slot's page: nothing of the old thread's ring survives
    }
    placeholder.ring = ring;
  }
  cp.byTid.set(thread.id, placeholder);
  return placeholder;
}

function* join(c: OpContext, op: PendingOp, ref: { slot: number; generation: number }): KernelGen<void> {
  const { k, cpu, cs, cp } = c;
  const done = (result: number, value = 0) => complete(k, cpu, cs, cp, op, result, value);
  if (cp.refs.resolve(ref) !== null) {
    const key = `${ref.slot}:${ref.generation}`;
    const list = cp.joins.get(key) ?? [];
    list.push(op);
    cp.joins.set(key, list);
    return;
  }
  const code = cp.refs.exitCode(ref);
  return yield* code === undefined ? done(-ESRCH) : done(0, code >>> 0);
}

function* spawnProcess(c: OpContext, op: PendingOp, image: CapImage | null): KernelGen<void> {
  const { k, cpu, cs, cp } = c;
  const done = (result: number, value = 0) => complete(k, cpu, cs, cp, op, result, value);
  if (image === null) return yield* done(-EINVAL);
  yield spend(k.board.costs.processSpawnNs);
  const child = k.createProcess({ name: image.name ?? 'capring-child', main: image.entry }, cp.process);
  if (child === null) return yield* done(-ENOMEM);
  const main = yield* startMainThread(k, cpu, child, image.arg, c.me.thread.affinity);
  return yield* main === null ? done(-ENOMEM) : done(child.pid);
}

function* wait(c: OpContext, op: PendingOp, pid: number): KernelGen<void> {
  const { k, cpu, cs, cp } = c;
  const children = cp.process.children.filter(
    (ch) => ch.state !== ProcessState.Reaped && (pid === -1 || ch.pid === pid),
  );
  if (children.length === 0) return yield* complete(k, cpu, cs, cp, op, -ECHILD);
  const zombie = children.find((ch) => ch.state === ProcessState.Zombie);
  if (zombie !== undefined) {
    zombie.state = ProcessState.Reaped;
    k.releaseProcess(zombie);
    return yield* complete(k, cpu, cs, cp, op, zombie.pid, zombie.status >>> 0);
  }
  cp.waits.push({ pid, op });
}

/** Entry `id` of the process's code table, or null when it names no function. */
function codeOf(cp: CapProcess, id: number): CapImage | null {
  const image = userCode(cp.process, CAP_CODE_TABLE, id) as CapImage | undefined;
  return image !== undefined && typeof image.entry === 'function' ? image : null;
}

/** A PARK/UNPARK entry's word address: arg0 (low 32 bits) and arg2 (high bits), as the libc splits it. */
function parkAddr(args: readonly number[]): number {
  return (args[2] ?? 0) * 2 ** 32 + args[0]!;
}
