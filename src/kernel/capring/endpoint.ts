/**
 * Endpoints: capability calls served by server processes (issue 20; capOS's CALL, RECV and RETURN
 * ring operations, models-2.md §11.6, without its Cap'n Proto framing: a call carries one word
 * and its answer a result and a value). A server process creates an endpoint and takes calls with
 * RECV; a client with the endpoint's capability submits CALL, which completes in the client's
 * ring when the server RETURNs. Calls wait in arrival order for a RECV, and RECVs for a call. A
 * process holds the endpoints it created and those of its ancestors at its first cap_enter (the
 * model's capability grant at spawn).
 */
import { EBADF, EPERM, ESRCH } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { complete } from './complete.ts';
import type { CapProcess, CapringKernel, PendingOp } from './state.ts';

interface Waiting {
  pid: number;
  op: PendingOp;
}

export interface Endpoint {
  id: number;
  serverPid: number;
  calls: (Waiting & { word: number })[];
  recvs: Waiting[];
}

/** Endpoints of the kernel and the calls being served, by id (kept beside its capring state). */
export interface EndpointTable {
  endpoints: Map<number, Endpoint>;
  inFlight: Map<number, Waiting>;
  nextId: number;
  nextCall: number;
}

const TABLES = new WeakMap<CapringKernel, EndpointTable>();

export function endpointsOf(cs: CapringKernel): EndpointTable {
  let t = TABLES.get(cs);
  if (t === undefined)
    TABLES.set(cs, (t = { endpoints: new Map(), inFlight: new Map(), nextId: 1, nextCall: 1 }));
  return t;
}

export function endpointCreate(cs: CapringKernel, cp: CapProcess): number {
  const table = endpointsOf(cs);
  const id = table.nextId++;
  table.endpoints.set(id, { id, serverPid: cp.process.pid, calls: [], recvs: [] });
  cp.endpoints.add(id);
  return id;
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

/** CALL: handed to a waiting RECV, or queued for the next. */
export function* endpointCall(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  op: PendingOp,
  id: number,
  word: number,
): KernelGen<void> {
  const table = endpointsOf(cs);
  const ep = table.endpoints.get(id);
  if (ep === undefined || !cp.endpoints.has(id)) return yield* complete(k, cpu, cs, cp, op, -EBADF);
  const caller: Waiting = { pid: cp.process.pid, op };
  const recv = ep.recvs.shift();
  if (recv === undefined) {
    ep.calls.push({ ...caller, word });
    return;
  }
  const callId = table.nextCall++;
  table.inFlight.set(callId, caller);
  yield* post(k, cpu, cs, recv, callId, word >>> 0);
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
  const table = endpointsOf(cs);
  const ep = table.endpoints.get(id);
  if (ep === undefined) return yield* complete(k, cpu, cs, cp, op, -EBADF);
  if (ep.serverPid !== cp.process.pid) return yield* complete(k, cpu, cs, cp, op, -EPERM);
  const call = ep.calls.shift();
  if (call === undefined) {
    ep.recvs.push({ pid: cp.process.pid, op });
    return;
  }
  const callId = table.nextCall++;
  table.inFlight.set(callId, { pid: call.pid, op: call.op });
  yield* complete(k, cpu, cs, cp, op, callId, call.word >>> 0);
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
