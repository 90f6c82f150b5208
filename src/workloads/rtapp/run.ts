/**
 * Runs an rt-app description (parse.ts) as a guest program: every task instance is a thread
 * (rt-app's threads are pthreads of one process), started on `cpus` with its policy and
 * priority, looping over its phases' events. Named mutexes, condition variables and barriers
 * are the libc's; a barrier's count is the number of threads whose events name it.
 *
 * Events as rt-app does them (src/rt-app.c run_event): `run` computes that many µs of CPU work
 * (rt-app calibrates loops to µs; here cycles at the 3 GHz clock), `sleep` is a relative
 * sleep, `timer` sleeps to the timer's next period: absolute mode adds the period to the last
 * target (an overrun does not sleep, so a late task catches up), relative mode to now. A timer
 * is the thread's own: rt-app shares a named timer among threads, a difference only for
 * descriptions that name one timer in several tasks. A task with `loop = -1` stops at the
 * first loop that starts after global.duration.
 *
 * rt-app's per-task log columns, aggregated over the task's instances, as metrics
 * `workload.rtapp.<task>_<key>`: `loops`, `periods`, `period_avg_ns` (between timer wake-ups),
 * `run_avg_ns` (wall time of a run event), `slack_min_ns` and `slack_avg_ns` (the timer's
 * target minus the time the period's work ended: negative when it overran), `wu_lat_avg_ns`
 * and `wu_lat_max_ns` (wake-up minus target).
 */
import type { Program } from '../../abi/effects.ts';
import type { Guest } from '../../abi/guest.ts';
import { PRIO_PROCESS, SCHED_FIFO, SCHED_RR } from '../../abi/sched.ts';
import { CLOCK_MONOTONIC } from '../../abi/syscalls.ts';
import { pthread_barrier_new, pthread_barrier_wait } from '../../libc/barrier.ts';
import { pthread_cond_new, pthread_cond_signal, pthread_cond_wait } from '../../libc/cond.ts';
import { errno } from '../../libc/errno.ts';
import { PTHREAD_BARRIER_SERIAL_THREAD } from '../../libc/layout.ts';
import { malloc } from '../../libc/malloc.ts';
import { pthread_mutex_lock, pthread_mutex_new, pthread_mutex_unlock } from '../../libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../libc/pthread.ts';
import { sched_setscheduler, setpriority } from '../../libc/sched.ts';
import {
  clock_gettime_ns,
  clock_nanosleep,
  sleep_ns,
  TIMER_ABSTIME,
  TIMESPEC_BYTES,
  timespec_store,
  timespecOfNs,
} from '../../libc/time.ts';
import { CYCLES_PER_US, NS_PER_US, publish } from '../common.ts';
import { attrOnCpus } from '../program.ts';
import type { RtappEvent, RtappSpec, RtappTask } from './parse.ts';
import { emptyStats, rtappOutput, type TaskStats } from './stats.ts';

interface Resources {
  mutexes: Map<string, number>;
  conds: Map<string, number>;
  barriers: Map<string, number>;
}

interface Thread {
  task: RtappTask;
  res: Resources;
  stats: TaskStats;
  startNs: number;
  durationNs: number;
}

/** Per thread: its timers' last targets and a timespec buffer. */
interface Local {
  targets: Map<string, number>;
  lastWakeNs: Map<string, number>;
  req: number;
}

function* timerEvent(
  t: Guest,
  e: Extract<RtappEvent, { kind: 'timer' }>,
  l: Local,
  s: TaskStats,
): Program<void> {
  const now = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const last = l.targets.get(e.ref);
  const target =
    e.absolute && last !== undefined ? last + e.periodUs * NS_PER_US : now + e.periodUs * NS_PER_US;
  l.targets.set(e.ref, target);
  s.slackNs.push(target - now);
  if (target > now) {
    const at = timespecOfNs(target);
    timespec_store(t, l.req, at.tv_sec, at.tv_nsec);
    const r = yield* clock_nanosleep(t, CLOCK_MONOTONIC, TIMER_ABSTIME, l.req, 0);
    if (r !== 0) throw new Error(`rtapp: clock_nanosleep failed (${r})`);
  }
  const woke = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  s.wuLatNs.push(Math.max(0, woke - target));
  const prev = l.lastWakeNs.get(e.ref);
  if (prev !== undefined) s.periodNs.push(woke - prev);
  l.lastWakeNs.set(e.ref, woke);
}

function* must(what: string, call: Program<number>): Program<void> {
  const err = yield* call;
  if (err !== 0) throw new Error(`rtapp: ${what} failed (${err})`);
}

function* runEvent(t: Guest, e: RtappEvent, th: Thread, l: Local): Program<void> {
  const { res, stats } = th;
  switch (e.kind) {
    case 'run': {
      const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      if (e.us > 0) yield t.compute(e.us * CYCLES_PER_US);
      stats.runNs.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0);
      return;
    }
    case 'sleep':
      yield* sleep_ns(t, e.us * NS_PER_US);
      return;
    case 'timer':
      return yield* timerEvent(t, e, l, stats);
    case 'lock':
      return yield* must(`lock ${e.ref}`, pthread_mutex_lock(t, res.mutexes.get(e.ref)!));
    case 'unlock':
      return yield* must(`unlock ${e.ref}`, pthread_mutex_unlock(t, res.mutexes.get(e.ref)!));
    case 'wait':
      return yield* must(
        `wait ${e.ref}`,
        pthread_cond_wait(t, res.conds.get(e.ref)!, res.mutexes.get(e.mutex)!),
      );
    case 'signal':
      return yield* must(`signal ${e.ref}`, pthread_cond_signal(t, res.conds.get(e.ref)!));
    case 'barrier': {
      const r = yield* pthread_barrier_wait(t, res.barriers.get(e.ref)!);
      if (r !== 0 && r !== PTHREAD_BARRIER_SERIAL_THREAD)
        throw new Error(`rtapp: barrier ${e.ref} failed (${r})`);
      return;
    }
  }
}

/** The thread's policy and priority, as rt-app sets them at its start (or fails loudly). */
function* setPolicy(t: Guest, task: RtappTask): Program<void> {
  if (task.policy === 'other') {
    if (task.priority !== 0 && (yield* setpriority(t, PRIO_PROCESS, 0, task.priority)) !== 0) {
      throw new Error(`rtapp: ${task.name}: setpriority(${task.priority}) refused (errno ${errno(t)})`);
    }
    return;
  }
  const policy = task.policy === 'fifo' ? SCHED_FIFO : SCHED_RR;
  if ((yield* sched_setscheduler(t, 0, policy, { sched_priority: task.priority })) !== 0) {
    throw new Error(
      `rtapp: ${task.name}: sched_setscheduler(${task.policy}, ${task.priority}) refused (errno ${errno(t)})`,
    );
  }
}

function* taskThread(t: Guest, raw: unknown): Program<number> {
  const th = raw as Thread;
  yield* setPolicy(t, th.task);
  const l: Local = { targets: new Map(), lastWakeNs: new Map(), req: yield* malloc(t, TIMESPEC_BYTES) };
  for (let loop = 0; th.task.loop === -1 || loop < th.task.loop; loop++) {
    if (th.durationNs > 0 && (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - th.startNs >= th.durationNs)
      break;
    for (const phase of th.task.phases) {
      for (let i = 0; i < phase.loop; i++) for (const e of phase.events) yield* runEvent(t, e, th, l);
    }
    th.stats.loops++;
  }
  return 0;
}

/** Every named resource, a barrier counting the threads that name it. */
function* resources(t: Guest, spec: RtappSpec): Program<Resources> {
  const res: Resources = { mutexes: new Map(), conds: new Map(), barriers: new Map() };
  const users = new Map<string, number>();
  for (const task of spec.tasks) {
    const named = new Set<string>();
    for (const e of task.phases.flatMap((p) => p.events)) {
      if (e.kind === 'lock' || e.kind === 'unlock') res.mutexes.set(e.ref, 0);
      if (e.kind === 'wait') res.mutexes.set(e.mutex, 0);
      if (e.kind === 'wait' || e.kind === 'signal') res.conds.set(e.ref, 0);
      if (e.kind === 'barrier') named.add(e.ref);
    }
    for (const b of named) users.set(b, (users.get(b) ?? 0) + task.instance);
  }
  for (const k of res.mutexes.keys()) res.mutexes.set(k, yield* pthread_mutex_new(t));
  for (const k of res.conds.keys()) res.conds.set(k, yield* pthread_cond_new(t));
  for (const [k, n] of users) res.barriers.set(k, yield* pthread_barrier_new(t, n));
  return res;
}

export function* rtappMain(t: Guest, raw: unknown): Program<number> {
  const spec = raw as RtappSpec;
  const res = yield* resources(t, spec);
  const startNs = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const all = new Map<string, TaskStats>(spec.tasks.map((k) => [k.name, emptyStats()]));
  const threads: pthread_t[] = [];
  for (const task of spec.tasks) {
    for (let i = 0; i < task.instance; i++) {
      const th: Thread = { task, res, stats: all.get(task.name)!, startNs, durationNs: spec.durationS * 1e9 };
      const [err, id] = yield* pthread_create(
        t,
        task.cpus.length === 0 ? null : attrOnCpus(task.cpus),
        taskThread,
        th,
      );
      if (err !== 0) throw new Error(`rtapp: pthread_create for ${task.name} failed (${err})`);
      threads.push(id);
    }
  }
  for (const id of threads) yield* pthread_join(t, id);
  publish(t, 'rtapp', rtappOutput(all));
  return 0;
}
