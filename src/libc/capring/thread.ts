/**
 * Threads and processes on the capring personality (issue 20): create, exit and join threads
 * through the thread capability, spawn and wait for processes through the process capability,
 * all as ring calls (call.ts). A thread is named by its generation-checked reference
 * (slot, generation), RING-3; joining a reference whose slot has since been reused still finds
 * the old thread's exit code, never the new thread.
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest, ThreadEntry } from '../../abi/guest.ts';
import { type CapImage, CapOp, CapSlot, type CapThreadStart } from '../../abi/capring.ts';
import { ETIME } from '../../abi/errno.ts';
import { capAdoptRing, capCall, capCode, capCodeDone, capEnter, capSubmit } from './call.ts';

export interface CapThreadRef {
  slot: number;
  generation: number;
}

interface Trampoline {
  entry: ThreadEntry;
  arg: unknown;
}

/** Every capring thread starts here: adopt its ring, run the entry, exit with its value. */
function* threadStart(t: Guest, raw: unknown): Program<number> {
  const start = raw as CapThreadStart;
  capAdoptRing(t, start.ringAddr);
  const { entry, arg } = start.arg as Trampoline;
  const value = yield t.call(entry(t, arg));
  return yield* capThreadExit(t, typeof value === 'number' ? value : 0);
}

/** Creates a thread running `entry(arg)`; its reference, or a negative errno. */
export function* capThreadCreate(t: Guest, entry: ThreadEntry, arg: unknown): Program<CapThreadRef | number> {
  const image: CapImage = { entry: threadStart, arg: { entry, arg } satisfies Trampoline };
  const code = capCode(t, image);
  const cqe = yield* capCall(t, CapOp.ThreadSpawn, CapSlot.Threads, [code]);
  capCodeDone(t, code);
  return cqe.result < 0 ? cqe.result : { slot: cqe.result, generation: cqe.value };
}

/** Ends this thread with `code` (the last thread's exit ends the process). Never returns. */
export function* capThreadExit(t: Guest, code: number): Program<never> {
  yield* capSubmit(t, CapOp.ThreadExit, CapSlot.Threads, [code >>> 0]);
  yield* capEnter(t, 0, 0);
  throw new Error('capring libc: ThreadExit returned');
}

/** Waits for the thread `ref` to exit: [0, its exit code], or [-errno, 0]. */
export function* capThreadJoin(t: Guest, ref: CapThreadRef): Program<[number, number]> {
  const cqe = yield* capCall(t, CapOp.ThreadJoin, CapSlot.Threads, [ref.slot, ref.generation]);
  return cqe.result < 0 ? [cqe.result, 0] : [0, cqe.value | 0];
}

/** Spawns a process running `main(arg)` (which calls capSetup first); its pid or -errno. */
export function* capSpawn(t: Guest, name: string, main: ThreadEntry, arg: unknown): Program<number> {
  const code = capCode(t, { entry: main, arg, name });
  const cqe = yield* capCall(t, CapOp.Spawn, CapSlot.Processes, [code]);
  capCodeDone(t, code);
  return cqe.result;
}

/** Waits for child `pid` (-1: any): [pid, wait status] or [-errno, 0]. */
export function* capWait(t: Guest, pid: number): Program<[number, number]> {
  const cqe = yield* capCall(t, CapOp.Wait, CapSlot.Processes, [pid >>> 0]);
  return [cqe.result, cqe.result < 0 ? 0 : cqe.value];
}

/** CLOCK_MONOTONIC through the timer capability, ns. */
export function* capClockNs(t: Guest): Program<number> {
  const cqe = yield* capCall(t, CapOp.ClockRead, CapSlot.Timer, []);
  return cqe.value;
}

/** Maps `bytes` of zeroed memory (shared with children when `shared`); its address or -errno. */
export function* capMap(t: Guest, bytes: number, shared: boolean): Program<number> {
  const cqe = yield* capCall(t, CapOp.Map, CapSlot.Memory, [bytes, shared ? 1 : 0]);
  return cqe.result < 0 ? cqe.result : cqe.value;
}

/** A new endpoint served by this process (issue 20: server processes); its id or -errno. */
export function* capEndpointCreate(t: Guest): Program<number> {
  return (yield* capCall(t, CapOp.EndpointCreate, CapSlot.Endpoints, [])).result;
}

/** Calls endpoint `id` with `word`: [the server's result, its value]. */
export function* capEndpointCall(t: Guest, id: number, word: number): Program<[number, number]> {
  const cqe = yield* capCall(t, CapOp.Call, CapSlot.Endpoints, [id, word >>> 0]);
  return [cqe.result, cqe.value];
}

/**
 * The server takes the next call on endpoint `id`: [call id or -errno, the caller's word, the
 * endpoint the call granted (0: none)].
 */
export function* capEndpointRecv(t: Guest, id: number): Program<[number, number, number]> {
  const cqe = yield* capCall(t, CapOp.Recv, CapSlot.Endpoints, [id]);
  return [cqe.result, cqe.value % 2 ** 32, Math.floor(cqe.value / 2 ** 32)];
}

/** Calls endpoint `id` with `word`, handing the server endpoint `grant` too: [result, value]. */
export function* capEndpointCallGrant(
  t: Guest,
  id: number,
  word: number,
  grant: number,
): Program<[number, number]> {
  const cqe = yield* capCall(t, CapOp.CallGrant, CapSlot.Endpoints, [id, word >>> 0, grant >>> 0]);
  return [cqe.result, cqe.value];
}

/** The server answers call `callId`; 0, or -ESRCH when there is no such call. */
export function* capEndpointReturn(t: Guest, callId: number, result: number, value: number): Program<number> {
  return (yield* capCall(t, CapOp.Return, CapSlot.Endpoints, [callId, result >>> 0, value >>> 0])).result;
}

/**
 * Sleeps `ns` on the ring: a Timeout operation (io_uring_prep_timeout with count 0), whose CQE
 * comes with -ETIME when the time has passed. 0, or the -errno of a refused timeout.
 */
export function* capSleepNs(t: Guest, ns: number): Program<number> {
  const lo = ns % 2 ** 32;
  const hi = Math.floor(ns / 2 ** 32);
  const r = (yield* capCall(t, CapOp.Timeout, CapSlot.Timer, [lo, hi, 0, 0])).result;
  return r === -ETIME ? 0 : r;
}
