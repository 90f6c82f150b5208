/**
 * The kernel's invariants (DESIGN.md "Assertions as documentation"), checked after every event
 * and at every context switch when `checkInvariants` is on (tests). Plain functions of the
 * kernel, so whatever observes the engine can call them: `checkKernelInvariants` between
 * events, `checkSwitchInvariants` inside a switch. The policy's own invariants run with the
 * first (`SchedPolicy.checkInvariants`).
 */
import { AssertionError, assert } from '../engine/assert.ts';
import type { ExecContext } from '../hw/context.ts';
import type { Cpu } from '../hw/cpu.ts';
import type { FutexWaiter } from './futex/table.ts';
import type { Kernel } from './kernel.ts';
import { type Context, isThread, type Thread, ThreadState } from './thread.ts';

/** The invariants as they stand between any two events, the policy's and the futex table's too. */
export function checkKernelInvariants(k: Kernel): void {
  checkContexts(k, null, null, null);
  for (const cpu of k.board.cpus)
    assert(cpu.computeFrameOnTop, `invariant: cpu ${cpu.id}'s compute burst lost its frame from the top`);
  checkFutexWaiters(k);
  checkOfflineCpus(k);
  k.policy.checkInvariants?.(k.threads.values());
}

/**
 * CPU hotplug (kernel/hotplug.ts): once an offline has finished, nothing is runnable on the
 * offline CPU (queued there), no hrtimer is queued there, no device vector is allocated there,
 * and what still runs there is a thread on its way off (the switch its offline forced); once
 * it parked, it is in no address space's CPU set and its LAPIC takes no interrupt.
 */
function checkOfflineCpus(k: Kernel): void {
  const hp = k.hotplug;
  if (hp.allOnline) return;
  for (let id = 0; id < hp.online.length; id++) {
    if (hp.online[id] === 1 || hp.dying[id] === 1) continue;
    const queued = k.policy.queuedOn?.(id) ?? 0;
    assert(queued === 0, `invariant: ${queued} contexts runnable on offline CPU ${id}`);
    const timers = k.hrtimers?.countOn(id) ?? 0;
    assert(timers === 0, `invariant: ${timers} hrtimers queued on offline CPU ${id}`);
    const vectors = hp.vectorDomain?.matrix.allocated(id) ?? 0;
    assert(vectors === 0, `invariant: ${vectors} vectors routed to offline CPU ${id}`);
    // devices (issue 18): no irq handle of the improved routing still targets it.
    if (hp.vectorDomain !== null)
      for (const h of k.devio?.handles.values() ?? [])
        assert(h.cpu !== id, `invariant: irq handle ${h.id} targets offline CPU ${id}`);
    const current = k.cpus[id]!.current;
    assert(
      !isThread(current) || current.affinityMovePending || current.state === ThreadState.Dead,
      `invariant: context ${current.id} runs on offline CPU ${id}`,
    );
    if (hp.park.parked[id] === 1) checkParkedCpu(k, id);
  }
}

/** A parked CPU (hotplug-park.ts) is in no address space's set, runs idle, takes no interrupt. */
function checkParkedCpu(k: Kernel, id: number): void {
  for (const p of k.processes.values())
    assert(p.vm.usedBy[id] === 0, `invariant: parked CPU ${id} in the CPU set of process ${p.pid}`);
  assert(!isThread(k.cpus[id]!.current), `invariant: a thread runs on parked CPU ${id}`);
  assert(!k.cpus[id]!.lapic.softwareEnabled, `invariant: parked CPU ${id}'s LAPIC is enabled`);
}

/**
 * The invariants at a context switch on `cpu` from `prev` to `next`, and the context picked
 * allowed on the CPU that picked it (SCHED-8).
 */
export function checkSwitchInvariants(k: Kernel, cpu: Cpu, prev: Context, next: Context): void {
  if (isThread(next)) {
    // Only a mask changed after the pick, unlocked (the baseline's way), excuses it.
    assert(
      next.allowedOn(cpu.id) || next.affinityMovePending,
      `invariant: context ${next.id} picked on CPU ${cpu.id} outside its mask`,
    );
  }
  checkContexts(k, cpu, prev, next);
}

/**
 * No context current on two CPUs; every running thread on a CPU its mask allows, or one it may
 * keep until the switch its mask change forced (SCHED-8); none in two run queues; blocked
 * contexts queued only by the policies that leave them there until a scan finds them (dwrr,
 * redbear); a queued context current on a CPU only while that CPU is inside a switch, holding
 * its switch lock (a context that blocked and was woken before its CPU switched away, Linux's
 * on_cpu window). `cpu` switching from `prev` to `next` counts as running `next`.
 */
function checkContexts(k: Kernel, cpu: Cpu | null, prev: Context | null, next: Context | null): void {
  const runningOn = new Map<ExecContext, number>();
  for (const c of k.cpus) {
    const current = c === cpu ? next! : c.current;
    assert(!runningOn.has(current), `invariant: context ${current.id} current on two CPUs`);
    runningOn.set(current, c.id);
    if (isThread(current) && current.state !== ThreadState.Dead) {
      assert(
        current.allowedOn(c.id) || current.affinityMovePending,
        `invariant: context ${current.id} runs on CPU ${c.id} outside its mask`,
      );
    }
  }
  const lazy = k.policy.keepsBlockedQueued;
  const seen = new Set<Thread>();
  for (const t of k.policy.queued()) {
    assert(!seen.has(t), `invariant: context ${t.id} in two run queues`);
    seen.add(t);
    assert(t.state !== ThreadState.Blocked || lazy, `invariant: blocked ${t.id} queued`);
    const cpuId = runningOn.get(t);
    if (cpuId === undefined || t === prev) continue;
    const inSwitch = k.policy.switchLock(cpuId).holder === cpuId;
    assert(inSwitch, `invariant: running context ${t.id} is queued (cpu ${cpuId}, outside a switch)`);
  }
}

/**
 * Every futex waiter entry in exactly one place (FUTEX-2): one bucket, under its own key, of
 * the shard that key hashes to, or one PI lock's waiter list, in the shard that holds the lock.
 * Each move between them (wake, requeue, requeue to a PI lock, hand-off) takes an entry out and
 * puts it in without an event in between. Seen from the threads: a thread waiting on a PI lock
 * is in that lock's list; a thread blocked in a futex wait has an entry that no wake has taken;
 * and in linux mode, which leaves no stale entry behind, no thread has two.
 */
export function checkFutexWaiters(k: Kernel): void {
  const table = k.futex;
  const placed = new Set<FutexWaiter>();
  const live = new Map<Thread, number>();
  const place = (w: FutexWaiter, key: number, where: string): void => {
    if (w.key !== key) fail(`futex waiter of ${w.thread.id} under key ${key}, its key is ${w.key}`);
    if (placed.has(w)) fail(`futex waiter of ${w.thread.id} in two buckets (the second ${where})`);
    placed.add(w);
    if (!w.woken) live.set(w.thread, (live.get(w.thread) ?? 0) + 1);
  };
  for (const shard of table.shards) {
    if (shard.buckets.size === 0 && shard.pi.size === 0) continue;
    for (const [key, list] of shard.buckets) {
      // The physical address stands for a key in the modes that hash by it (FutexTable.key).
      const home = table.shardOf(key, key >= 0 ? key : 0);
      if (home !== shard) fail(`futex bucket ${key} in ${shard.lock.name}, not ${home.lock.name}`);
      for (const w of list) place(w, key, `bucket ${key}`);
    }
    for (const [key, s] of shard.pi) {
      if (s.key !== key || s.shard !== shard) fail(`PI lock ${key} filed under another key or shard`);
      for (const w of s.waiters) place(w, key, `PI lock ${key}`);
    }
  }
  for (const t of k.threads.values()) checkFutexThread(k, t, live.get(t) ?? 0);
}

/** A thread's side of the futex invariant, given how many entries no wake has taken name it. */
function checkFutexThread(k: Kernel, t: Thread, live: number): void {
  const s = t.piWaiting;
  if (s !== null && t.state !== ThreadState.Dead) {
    if (s.shard.pi.get(s.key) !== s) fail(`${t.id} waits on a PI lock its shard does not hold`);
    if (!s.waiters.some((w) => w.thread === t)) fail(`${t.id} waits on PI lock ${s.key}, not in its list`);
  }
  if (live === 0 && t.state === ThreadState.Blocked && inFutexWait(t)) {
    fail(`${t.id} blocked on ${t.blockedOn} with no futex entry`);
  }
  if (live > 1 && k.futex.mode === 'linux') fail(`${t.id} has ${live} futex entries`);
}

/** Whether `t` blocked in one of the futex waits (their reasons: futex/wait-wake.ts, pi.ts, requeue-pi.ts). */
function inFutexWait(t: Thread): boolean {
  return t.blockedWhat.startsWith('futex') || t.blockedWhat.startsWith('pi-futex');
}

/** A broken invariant (the message built only when it is). */
function fail(what: string): never {
  throw new AssertionError(`invariant: ${what}`);
}
