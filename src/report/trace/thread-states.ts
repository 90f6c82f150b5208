/**
 * The per-thread tracks: each guest thread's life as a sequence of state slices, as Perfetto's
 * thread_state track shows it — `Running` (user code on CPU n), `Syscall <name>` (in the kernel
 * for a system call, on CPU n), `Runnable` (queued, with the CPU it is queued on when the policy
 * keeps per-CPU queues), `Blocked (<what>)` (a futex word, a pipe, nanosleep, wait4 ...: the
 * kernel's own `blockedOn`). A slice is written when the state ends, clipped to the window.
 */
import { SCHED_POLICY_NAMES } from '../../abi/sched.ts';
import { SYSCALL_NAMES } from '../../abi/syscalls.ts';
import { effectivePrio, type Thread } from '../../kernel/thread.ts';
import type { PendingWake } from './cpu-slices.ts';
import { meta } from './tracks.ts';

export type StateArgs = Record<string, string | number>;

interface ThreadTrack {
  readonly thread: Thread;
  name: string;
  args: StateArgs;
  sinceNs: number;
  /** The system call it is in, or null: what `Running` means when it is on a CPU. */
  syscall: string | null;
  /** Its last wake, until it runs (cpu-slices.ts binds the flow's end then). */
  wake: PendingWake | null;
}

export interface StateOut {
  /** Writes a thread-state slice [startNs, endNs] (the recorder clips it); false if not written. */
  slice(t: Thread, name: string, args: StateArgs, startNs: number, endNs: number): boolean;
  /** Writes a metadata event (names), whatever the window. */
  metadata(event: object): void;
}

export class ThreadStates {
  readonly #tracks = new Map<number, ThreadTrack>();
  readonly #namedPids = new Set<number>();
  readonly #out: StateOut;

  constructor(out: StateOut) {
    this.#out = out;
  }

  /** Its track, made (and named) the first time the thread is seen. */
  track(t: Thread, nowNs: number): ThreadTrack {
    let track = this.#tracks.get(t.id);
    if (track === undefined) {
      track = { thread: t, name: 'Runnable', args: {}, sinceNs: nowNs, syscall: null, wake: null };
      this.#tracks.set(t.id, track);
      this.#name(t);
    }
    return track;
  }

  /** `t` enters state `name` at `nowNs`: the state it leaves is written. */
  enter(t: Thread, nowNs: number, name: string, args: StateArgs): void {
    const track = this.track(t, nowNs);
    if (nowNs > track.sinceNs) this.#out.slice(t, track.name, track.args, track.sinceNs, nowNs);
    track.name = name;
    track.args = args;
    track.sinceNs = nowNs;
  }

  /** On CPU `cpuId`: running user code, or in its system call. */
  onCpu(t: Thread, cpuId: number, nowNs: number): void {
    const track = this.track(t, nowNs);
    const args = {
      cpu: cpuId,
      prio: effectivePrio(t),
      policy: SCHED_POLICY_NAMES[t.policy] ?? String(t.policy),
    };
    this.enter(t, nowNs, track.syscall === null ? 'Running' : `Syscall ${track.syscall}`, args);
  }

  syscall(t: Thread, nr: number | null, nowNs: number): void {
    const track = this.track(t, nowNs);
    track.syscall = nr === null ? null : (SYSCALL_NAMES[nr] ?? `nr ${nr}`);
    if (t.running) this.onCpu(t, t.lastCpu, nowNs);
  }

  /** The thread is gone (exited, killed): its last state is written and its track forgotten. */
  exit(t: Thread, nowNs: number): void {
    const track = this.#tracks.get(t.id);
    if (track === undefined) return;
    if (nowNs > track.sinceNs) this.#out.slice(t, track.name, track.args, track.sinceNs, nowNs);
    this.#tracks.delete(t.id);
  }

  /** Writes every thread's open state at the run's end. */
  finish(nowNs: number): void {
    for (const track of this.#tracks.values()) {
      if (nowNs > track.sinceNs) this.#out.slice(track.thread, track.name, track.args, track.sinceNs, nowNs);
    }
    this.#tracks.clear();
  }

  #name(t: Thread): void {
    const pid = t.process.pid;
    const image = t.process.image.name;
    if (!this.#namedPids.has(pid)) {
      this.#namedPids.add(pid);
      this.#out.metadata(meta('process_name', pid, pid, { name: `${image} (pid ${pid})` }));
      this.#out.metadata(meta('process_sort_index', pid, pid, { sort_index: pid }));
    }
    this.#out.metadata(meta('thread_name', pid, t.id, { name: `${image} ${t.id}` }));
    this.#out.metadata(meta('thread_sort_index', pid, t.id, { sort_index: t.id }));
  }
}
