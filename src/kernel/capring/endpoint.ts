/**
 * Endpoints: capability calls served by server processes (issue 20; capOS's CALL, RECV and RETURN
 * ring operations, models-2.md §11.6, without its Cap'n Proto framing: a call carries one word
 * and its answer a result and a value). A server process creates an endpoint and takes calls with
 * RECV; a client with the endpoint's capability submits CALL, which completes in the client's
 * ring when the server RETURNs. Calls wait in arrival order for a RECV, and RECVs for a call.
 *
 * Who holds an endpoint: the process that created it, its descendants (granted at their first
 * cap_enter, enter.ts), and any process a holder hands it to in a call (CallGrant: the capability
 * travels with the call and the server holds it once its RECV takes the call — copied, the sender
 * keeps it; capOS's pages say a call's message carries capabilities but not whether they are
 * copied or moved, so copy is this model's choice, the Cap'n Proto default for a cap in a message).
 *
 * Endpoint ids are generation-checked references (thread-ref.ts, as capOS's generation-tagged
 * CapIds): id = generation × ENDPOINT_SLOTS + slot. When the server process exits its endpoints
 * close: queued and in-flight calls complete with -EPIPE, the slot is freed for a later endpoint
 * (which takes the next generation), and a call by an id whose endpoint is gone is -EPIPE, never
 * delivered to the slot's newer endpoint. capOS reports such transport failures as a CQE status
 * (its error-handling page); -EPIPE is this model's number for "the other end is gone".
 */
import { EBADF, EPERM, EPIPE, ESRCH } from '../../abi/errno.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { complete } from './complete.ts';
import type { CapProcess, CapringKernel, PendingOp } from './state.ts';
import { type ThreadRef, ThreadRefTable } from './thread-ref.ts';

/** Endpoint slots of the kernel (live endpoints at once). */
export const ENDPOINT_SLOTS = 256;

interface Waiting {
  pid: number;
  op: PendingOp;
}

interface QueuedCall extends Waiting {
  word: number;
  /** An endpoint id the call carries to the server (CallGrant), or 0. */
  grant: number;
}

export interface Endpoint {
  id: number;
  serverPid: number;
  calls: QueuedCall[];
  recvs: Waiting[];
}

/** Endpoints of the kernel and the calls being served (kept beside its capring state). */
export interface EndpointTable {
  slots: ThreadRefTable<Endpoint>;
  /** Calls a server has taken and not yet answered, by call id, with their endpoint. */
  inFlight: Map<number, Waiting & { endpoint: number }>;
  nextCall: number;
}

const TABLES = new WeakMap<CapringKernel, EndpointTable>();

export function endpointsOf(cs: CapringKernel): EndpointTable {
  let t = TABLES.get(cs);
  if (t === undefined) {
    t = { slots: new ThreadRefTable<Endpoint>(ENDPOINT_SLOTS, false), inFlight: new Map(), nextCall: 1 };
    TABLES.set(cs, t);
  }
  return t;
}

/** The reference an endpoint id encodes. */
export function endpointRef(id: number): ThreadRef {
  return { slot: id % ENDPOINT_SLOTS, generation: Math.floor(id / ENDPOINT_SLOTS) };
}

/** The endpoint `id` names if it is still there (its generation current), else null. */
function resolve(table: EndpointTable, id: number): Endpoint | null {
  return id > 0 ? table.slots.resolve(endpointRef(id)) : null;
}

/** EndpointCreate: the new endpoint's id, or -EBADF when every endpoint slot is taken. */
export function endpointCreate(cs: CapringKernel, cp: CapProcess): number {
  const table = endpointsOf(cs);
  const ep: Endpoint = { id: 0, serverPid: cp.process.pid, calls: [], recvs: [] };
  const ref = table.slots.allocate(ep);
  if (ref === null) return -EBADF;
  ep.id = ref.generation * ENDPOINT_SLOTS + ref.slot;
  cp.endpoints.add(ep.id);
  return ep.id;
}

function* post(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  w: Waiting,
  result: number,
  value: number,
): KernelGen<void> {
  const owner = cs.processes.get(w.pid);
  if (owner !== undefined) yield* complete(k, cpu, cs, owner, w.op, result, value);
}

/** Why `cp` may not call `id`: -EBADF (it holds no such capability) or -EPIPE (the endpoint is gone). */
function callRefusal(table: EndpointTable, cp: CapProcess, id: number): number {
  if (!cp.endpoints.has(id)) return -EBADF;
  return resolve(table, id) === null ? -EPIPE : 0;
}

/**
 * CALL (and CallGrant, `grant` > 0): handed to a waiting RECV, or queued for the next. A grant of
 * an endpoint the caller does not hold, or one that is gone, refuses the whole call (-EBADF).
 */
export function* endpointCall(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  op: PendingOp,
  id: number,
  word: number,
  grant = 0,
): KernelGen<void> {
  const table = endpointsOf(cs);
  const refused = callRefusal(table, cp, id);
  if (refused === -EPIPE) cs.counts.callsFailedEpipe++;
  if (refused !== 0) return yield* complete(k, cpu, cs, cp, op, refused);
  if (grant !== 0 && callRefusal(table, cp, grant) !== 0) {
    cs.counts.grantsRefused++;
    return yield* complete(k, cpu, cs, cp, op, -EBADF);
  }
  const ep = resolve(table, id)!;
  const call: QueuedCall = { pid: cp.process.pid, op, word, grant };
  const recv = ep.recvs.shift();
  if (recv === undefined) {
    ep.calls.push(call);
    return;
  }
  yield* deliver(k, cpu, cs, ep, recv, call);
}

/** Hands `call` to the server's `recv`: the call is in flight, and a granted capability is the server's. */
function* deliver(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  ep: Endpoint,
  recv: Waiting,
  call: QueuedCall,
): KernelGen<void> {
  const table = endpointsOf(cs);
  const callId = table.nextCall++;
  table.inFlight.set(callId, { pid: call.pid, op: call.op, endpoint: ep.id });
  if (call.grant !== 0) {
    cs.processes.get(recv.pid)?.endpoints.add(call.grant);
    cs.counts.grants++;
    k.traceDecision(TraceKind.CapGrant, call.grant, recv.pid);
  }
  // The CQE's value: the caller's word, and in its high word the granted endpoint (0: none).
  yield* post(k, cpu, cs, recv, callId, (call.word >>> 0) + call.grant * 2 ** 32);
}

/** RECV: the server's process takes the oldest call, or waits for one. */
export function* endpointRecv(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  op: PendingOp,
  id: number,
): KernelGen<void> {
  const ep = resolve(endpointsOf(cs), id);
  if (ep === null) return yield* complete(k, cpu, cs, cp, op, -EBADF);
  if (ep.serverPid !== cp.process.pid) return yield* complete(k, cpu, cs, cp, op, -EPERM);
  const recv: Waiting = { pid: cp.process.pid, op };
  const call = ep.calls.shift();
  if (call === undefined) {
    ep.recvs.push(recv);
    return;
  }
  yield* deliver(k, cpu, cs, ep, recv, call);
}

/** RETURN: completes the caller's CALL; the server's own CQE says whether the call was there. */
export function* endpointReturn(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  op: PendingOp,
  args: { callId: number; result: number; value: number },
): KernelGen<void> {
  const table = endpointsOf(cs);
  const caller = table.inFlight.get(args.callId);
  if (caller === undefined) return yield* complete(k, cpu, cs, cp, op, -ESRCH);
  table.inFlight.delete(args.callId);
  yield* post(k, cpu, cs, caller, args.result | 0, args.value >>> 0);
  yield* complete(k, cpu, cs, cp, op, 0);
}

/**
 * The server process `pid` exited: each of its endpoints closes. Queued calls and calls it had
 * taken but not answered complete with -EPIPE; its own RECVs go with it; the slot is freed.
 */
export function* closeEndpointsOf(k: Kernel, cpu: Cpu, cs: CapringKernel, pid: number): KernelGen<void> {
  const table = TABLES.get(cs);
  if (table === undefined) return;
  const mine: Endpoint[] = [];
  for (let slot = 0; slot < ENDPOINT_SLOTS; slot++) {
    const ep = table.slots.resolve({ slot, generation: table.slots.generationOf(slot) });
    if (ep !== null && ep.serverPid === pid) mine.push(ep);
  }
  for (const ep of mine) {
    table.slots.release(endpointRef(ep.id), 0);
    cs.counts.endpointsClosed++;
    const failed: Waiting[] = ep.calls.splice(0);
    ep.recvs.length = 0;
    for (const [callId, w] of table.inFlight) {
      if (w.endpoint !== ep.id) continue;
      table.inFlight.delete(callId);
      failed.push(w);
    }
    k.traceDecision(TraceKind.CapEndpointGone, ep.id, failed.length);
    for (const w of failed) {
      cs.counts.callsFailedEpipe++;
      yield* post(k, cpu, cs, w, -EPIPE, 0);
    }
  }
}

/** Live endpoints and calls in flight (the end-of-run leak check, capring.endpoints_live). */
export function endpointCensus(cs: CapringKernel): { live: number; inFlight: number } {
  const table = TABLES.get(cs);
  return table === undefined
    ? { live: 0, inFlight: 0 }
    : { live: table.slots.liveCount, inFlight: table.inFlight.size };
}
