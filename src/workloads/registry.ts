/**
 * Every guest program a scenario can name with `kind = "program"`. Add a program by writing
 * its file (a `GuestProgram`) and listing it here.
 */
import { BURSTY } from './bursty.ts';
import { CONDHERD } from './condherd.ts';
import { DLPERIODIC } from './dlperiodic.ts';
import { TASKSET } from './taskset.ts';
import { AFFINITY } from './affinity.ts';
import { CPUHOG } from './cpuhog.ts';
import { CYCLICTEST } from './cyclictest.ts';
import { CPU_OFFLINE } from './cpu-offline.ts';
import { FORK_ATFORK } from './fork-atfork.ts';
import { FORKCOW } from './forkcow.ts';
import { NUMAMEM } from './numamem.ts';
import { FUTEX_BENCH } from './futex-bench.ts';
import { FUTEX_HERD } from './futex-herd.ts';
import { FUTEX_PI_CHAIN } from './futex-pi-chain.ts';
import { FUTEX_ROBUST } from './futex-robust.ts';
import { MUTEXLOOP } from './mutexloop.ts';
import { NICESHARES } from './niceshares.ts';
import { NVMED } from './nvmed.ts';
import { NVME_DISK } from './nvme-disk.ts';
import { E1000D } from './e1000d.ts';
import { E1000_NET } from './e1000-net.ts';
import { E1000_TX } from './e1000-tx.ts';
import { NVME_ROGUE } from './nvme-rogue.ts';
import type { GuestProgram } from './program.ts';
import { PRIO_INVERSION } from './prio-inversion.ts';
import { RING_SQPOLL } from './ring-sqpoll.ts';
import { RING_STALE } from './ring-stale.ts';
import { ROBUST_OWNER } from './robust-owner.ts';
import { RTCLASSES } from './rtclasses.ts';
import { SCHBENCH } from './schbench.ts';
import { SCHED_PIPE } from './sched-pipe.ts';
import { HACKBENCH } from './hackbench.ts';
import { SCHEME_ECHO } from './scheme-echo.ts';
import { STACKGUARD } from './stackguard.ts';
import { FUTEX_OPS } from './futex-ops.ts';
import { SYNC_PRIMS } from './sync-prims.ts';
import { LIBC_THREADS } from './libc-threads.ts';
import { DRVMGR_PROGRAM, DRVMGR_STATUS_PROGRAM, HOTPLUG_PROGRAM } from './svc-drivers.ts';
import { SVC_INIT_PROGRAM } from './svc-init.ts';
import { THREADHERD } from './threadherd.ts';
import { TLBSTRESS } from './tlbstress.ts';
import { THREAD_CREATE } from './thread-create.ts';
import { SPAWN, SPAWN_CHILD, SPAWN_CHILD_PATH } from './spawn.ts';
import type { ProgramImage } from '../abi/guest.ts';

const LIST: GuestProgram[] = [
  FUTEX_BENCH,
  FUTEX_HERD,
  FUTEX_ROBUST,
  FUTEX_OPS, // FUTEX-1, FUTEX-4, FUTEX-5, FUTEX-8
  FUTEX_PI_CHAIN, // FUTEX-6
  CONDHERD,
  SYNC_PRIMS, // LIBC-4
  MUTEXLOOP, // LIBC-2, issue 23: the fidelity harness's mutex-contention loop
  LIBC_THREADS, // LIBC-1, LIBC-6, LIBC-7
  STACKGUARD,
  SCHBENCH,
  NICESHARES, // SCHED-3, SCHED-7
  RTCLASSES, // SCHED-7
  DLPERIODIC, // SCHED-7
  TASKSET, // issue 23: periodic task sets for gedf
  AFFINITY, // SCHED-8
  CPUHOG, // SCHED-4
  NUMAMEM, // SCHED-6, HW-14
  FORK_ATFORK, // LIBC-9
  FORKCOW, // issue 15: copy-on-write fork
  PRIO_INVERSION, // LIBC-10
  ROBUST_OWNER, // LIBC-2
  THREADHERD, // issue 14: scale
  CYCLICTEST, // HW-12, issue 11: timer precision
  CPU_OFFLINE, // issue 18: CPU hotplug
  BURSTY, // HW-15: cpufreq governors
  TLBSTRESS, // HW-8, HW-9, issue 15
  SCHEME_ECHO, // SVC-7, issue 19: user scheme round trips
  THREAD_CREATE, // SCHED-12, issue 24
  SPAWN, // SCHED-12, issue 24
  NVMED, // HW-11, K13, K21, issue 18
  NVME_DISK, // devices (issue 18): clients through nvmed's disk.nvme: scheme
  E1000D, // HW-10, K21, issue 18
  E1000_NET, // devices (issue 18): clients through e1000d's network: scheme
  E1000_TX, // devices (issue 18): frames sent through e1000d's network: scheme
  NVME_ROGUE, // HW-13, issue 18
  SVC_INIT_PROGRAM, // SVC-1..SVC-5, SVC-8, issue 19
  DRVMGR_PROGRAM, // SVC-6
  HOTPLUG_PROGRAM, // SVC-6
  DRVMGR_STATUS_PROGRAM, // SVC-6: pcid-spawner --status
  RING_STALE, // RING-3, RING-4, issue 20
  RING_SQPOLL, // RING-3, issue 20
  SCHED_PIPE, // SCHED-1, SCHED-2, issue 22: perf bench sched pipe
  HACKBENCH, // SCHED-1, SCHED-2, SCHED-4, issue 22: hackbench / perf bench sched messaging
];

export const PROGRAMS: ReadonlyMap<string, GuestProgram> = new Map(LIST.map((p) => [p.image.name, p]));

export function programNames(): string[] {
  return [...PROGRAMS.keys()].sort();
}

/**
 * The programs execve and posix_spawn find by path (kernel/exec.ts): every program above under
 * /bin/<name>, and the ones that exist only to be exec'ed.
 */
export function executables(): Map<string, ProgramImage> {
  const out = new Map<string, ProgramImage>(
    [...PROGRAMS.values()].map((p) => [`/bin/${p.image.name}`, p.image]),
  );
  out.set(SPAWN_CHILD_PATH, SPAWN_CHILD);
  return out;
}
