/**
 * What a thread's or a process's end means to the capring state, whichever way it ends (a
 * ThreadExit SQE, the exit stub, a kill): the thread's reference is released (its slot is free,
 * RING-3) and its joins complete with its exit code; a process's exit completes its parent's
 * Wait operations, and its state goes. Both return at once for a kernel without capring state,
 * so the Redox personality's runs are untouched.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { type Process, ProcessState } from '../process.ts';
import type { Thread } from '../thread.ts';
import { complete } from './complete.ts';
import { closeEndpointsOf } from './endpoint.ts';
import { capringIfAny } from './state.ts';
import { dropTimeouts } from './timeout.ts';

export function* capringThreadExited(k: Kernel, cpu: Cpu, t: Thread): KernelGen<void> {
  const cs = capringIfAny(k);
  const cp = cs?.processes.get(t.process.pid);
  const me = cp?.byTid.get(t.id);
  if (cs === null || cp === undefined || me === undefined) return;
  const code = me.exitCode ?? 0;
  cp.byTid.delete(t.id);
  cp.refs.release(me.ref, code);
  // Thread rings: the ring goes with its thread, and so do its armed timeouts (rejected as stale).
  if (cs.options.rings === 'thread') yield* dropTimeouts(k, cpu, cs, cp, me.ring);
  const key = `${me.ref.slot}:${me.ref.generation}`;
  const joins = cp.joins.get(key) ?? [];
  cp.joins.delete(key);
  for (const op of joins) yield* complete(k, cpu, cs, cp, op, 0, code >>> 0);
}

export function* capringProcessExited(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  const cs = capringIfAny(k);
  if (cs === null) return;
  cs.processes.delete(p.pid);
  yield* closeEndpointsOf(k, cpu, cs, p.pid); // its endpoints' callers get -EPIPE
  const parent = p.parent === null ? undefined : cs.processes.get(p.parent.pid);
  if (parent === undefined) return;
  const at = parent.waits.findIndex((w) => w.pid === -1 || w.pid === p.pid);
  if (at < 0) return;
  const [w] = parent.waits.splice(at, 1);
  p.state = ProcessState.Reaped;
  k.releaseProcess(p);
  yield* complete(k, cpu, cs, parent, w!.op, p.pid, p.status >>> 0);
}
