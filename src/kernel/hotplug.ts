/**
 * CPU hotplug (issue 18; models-2.md §8.5): `cpu offline` and `cpu online`.
 *
 * Improved kernel (Linux, kernel/cpu.c cpu_down / _cpu_down, kernel/sched/core.c
 * sched_cpu_deactivate, sched_cpu_dying and migrate_tasks, select_fallback_rq): the CPU leaves
 * the online mask first (set_cpu_active(cpu, false): `Thread.allowedOn` says no for it, so no
 * placement, wakeup, steal or balance chooses it), threads whose affinity named only it get their
 * affinity broken to every online CPU with a logged message (select_fallback_rq's "process %d
 * (%s) no longer affine to cpu%d"), the policy moves every queued thread off it and makes the
 * running one switch away (`SchedPolicy.cpuOffline`), its hrtimers move to the CPU doing the
 * offline (hrtimers_cpu_dying), its device vectors move (devio/hotplug-vectors.ts: managed ones
 * drained as blk-mq does and shut down, the others moved and their sources reprogrammed; ENOSPC
 * refused first as lapic_can_unplug_cpu does), and its tick stops: the LAPIC timer's LVT is
 * masked (periodic and TSC-deadline alike), the TSC deadline and the hrtimer one-shot are
 * disarmed, and the PIT relay IPI skips it (interrupts.ts). The CPU then idles and, in its idle
 * loop, parks (hotplug-park.ts): out of every address space's CPU set first, then its LAPIC
 * software-disabled, so no shootdown waits for it and no IPI reaches it until it comes back.
 * Refusals, in _cpu_down's order: a CPU that is not present: EINVAL; the last online CPU:
 * EBUSY; the BSP: EPERM (since Linux 6.5 x86 marks CPU0 not hotpluggable, arch_register_cpu,
 * so device_offline in drivers/base/core.c refuses with EPERM; before, without
 * CONFIG_BOOTPARAM_HOTPLUG_CPU0, CPU0 had no `online` file at all). Offlining an offline CPU,
 * or onlining an online one, does nothing and succeeds (device_offline returns 1, the sysfs
 * store 0).
 *
 * Baseline (Redox): the kernel has no CPU hotplug at all (models.md/models-2.md name none: no
 * cpu_down, no online mask after boot, the proc scheme has no per-CPU handle), so the request is
 * refused with EOPNOTSUPP: the operation is named by a valid interface (the handle, the scenario
 * step) but the kernel does not support it; ENOSYS would claim the system call itself is missing.
 */
import { EBUSY, EINVAL, ENOSPC, ENOTSUP, EPERM } from '../abi/errno.ts';
import { TraceKind } from '../abi/trace.ts';
import type { Cpu } from '../hw/cpu.ts';
import { type KernelGen, sendIpi, spend } from '../hw/effects.ts';
import { VEC_IPI_WAKEUP } from '../hw/vectors.ts';
import { programTimersNow } from './clockevent.ts';
import { FIXUP_IRQS_DELAY_NS, ParkState, unpark } from './hotplug-park.ts';
import type { VectorDomain } from './irqs/vector-domain.ts';
import {
  drainManagedVectors,
  moveDeviceVectors,
  restartDeviceVectors,
  type VectorOfflineResult,
} from './devio/hotplug-vectors.ts';
import type { Kernel } from './kernel.ts';
import { SYS_CPU_SET_ONLINE } from '../abi/syscalls.ts';
import { argNum, type SyscallTable } from './syscall-types.ts';
import { isThread, type Thread, ThreadState } from './thread.ts';

/** One completed offline, for the report (hotplug.* metrics). */
export interface OfflineRecord {
  cpuId: number;
  atNs: number;
  /** From the request to the CPU out of every mask and queue (the running thread may leave after). */
  offlineNs: number;
  threadsMigrated: number;
  affinityBroken: number;
  timersMoved: number;
  vectorsMoved: number;
  /** Managed vectors shut down (no CPU of their mask left), after their drain. */
  vectorsShutDown: number;
  /** Time the drain of those vectors' outstanding requests took (blk-mq's msleep(5) polls). */
  drainNs: number;
}

/** The kernel's hotplug state: the online mask and what offline/online did. */
export class HotplugState {
  /** cpu_online_mask (and cpu_active_mask: one mask here), by CPU id; shared with every process. */
  readonly online: Uint8Array;
  /** Set while an offline of the CPU is under way (its queues are being emptied). */
  readonly dying: Uint8Array;
  /** When each CPU last came online, and its accumulated online time before that (ns). */
  readonly onlineSinceNs: Float64Array;
  readonly onlineAccumNs: Float64Array;
  /** The device vector domain of the improved routing (machine/attach-devices.ts wires it); else none move. */
  vectorDomain: VectorDomain | null = null;
  readonly offlines: OfflineRecord[] = [];
  /** The dying CPUs' last steps: out of the address spaces, LAPIC off (hotplug-park.ts). */
  readonly park: ParkState;
  /** select_fallback_rq's messages: "process P (tid T) no longer affine to cpuN". */
  readonly log: string[] = [];
  onlines = 0;
  /** Ticks taken by an offline CPU: always 0 (its LVT timer is masked, the PIT relay skips it). */
  offlineTicks = 0;

  constructor(cpus: number) {
    this.online = new Uint8Array(cpus).fill(1);
    this.dying = new Uint8Array(cpus);
    this.onlineSinceNs = new Float64Array(cpus);
    this.onlineAccumNs = new Float64Array(cpus);
    this.park = new ParkState(cpus);
  }

  /** How many CPUs are online. */
  get onlineCount(): number {
    return this.online.reduce((n, bit) => n + bit, 0);
  }

  /** Whether every CPU is online (the common case: the paths that skip offline CPUs test it first). */
  get allOnline(): boolean {
    return this.online.indexOf(0) < 0;
  }

  /** Time `cpuId` has been online up to `nowNs`. */
  onlineTimeNs(cpuId: number, nowNs: number): number {
    const running = this.online[cpuId] === 1 ? nowNs - this.onlineSinceNs[cpuId]! : 0;
    return this.onlineAccumNs[cpuId]! + running;
  }
}

/** Why an offline or online is refused before anything changes (negative errno), or 0. */
function refusal(k: Kernel, cpuId: number, down: boolean): number {
  if (k.policy.cpuOffline === undefined) return -ENOTSUP; // Redox: no hotplug
  if (!Number.isInteger(cpuId) || cpuId < 0 || cpuId >= k.cpus.length) return -EINVAL;
  if (!k.topology.cpus[cpuId]!.present) return -EINVAL;
  if (!down) return 0;
  if (k.hotplug.online[cpuId] === 1 && k.hotplug.onlineCount === 1) return -EBUSY;
  if (cpuId === 0) return -EPERM;
  return 0;
}

/** cpu_down(cpuId), run by `cpu`: 0, or a negative errno (see the file comment). */
export function* cpuOffline(k: Kernel, cpu: Cpu, cpuId: number): KernelGen<number> {
  const refused = refusal(k, cpuId, true);
  if (refused !== 0) return refused;
  const hp = k.hotplug;
  if (hp.online[cpuId] === 0) return 0;
  if (hp.vectorDomain !== null && !hp.vectorDomain.canOffline(cpuId)) return -ENOSPC;
  const startNs = k.nowNs;
  hp.online[cpuId] = 0;
  hp.dying[cpuId] = 1;
  // What runs there now is outside the online mask until the switch the policy forces moves it.
  const current = k.cpus[cpuId]!.current;
  if (isThread(current)) current.affinityMovePending = true;
  hp.onlineAccumNs[cpuId]! += startNs - hp.onlineSinceNs[cpuId]!;
  const broken = breakAffinities(k, cpuId);
  const toCpu = cpu.id !== cpuId ? cpu.id : hp.online.indexOf(1);
  const moved = yield* k.policy.cpuOffline!(cpu, cpuId, toCpu);
  const timers = k.hrtimers === null ? 0 : k.hrtimers.moveAll(cpuId, toCpu);
  yield spend(k.board.costs.schedPickNs * timers);
  stopTick(k, cpuId);
  if (timers > 0) {
    const write = programTimersNow(k, k.cpus[toCpu]!);
    if (write !== null) yield write;
  }
  // Device vectors (kernel/devio/hotplug-vectors.ts): drain the managed ones, then move or shut
  // down. The CPU still takes device interrupts while they drain (its tick is already stopped).
  const vectors: VectorOfflineResult = { moved: 0, shutDown: 0, drainNs: 0 };
  const here = yield* drainManagedVectors(k, cpu, cpuId, vectors);
  yield* moveDeviceVectors(k, cpuId, vectors);
  if (vectors.moved + vectors.shutDown > 0) hp.park.fixupUntilNs[cpuId] = k.nowNs + FIXUP_IRQS_DELAY_NS;
  hp.dying[cpuId] = 0;
  // The dying CPU parks in its idle loop (hotplug-park.ts): a halted one is woken to get there.
  if (cpuId !== here.id && k.cpus[cpuId]!.halted) yield sendIpi(cpuId, VEC_IPI_WAKEUP);
  const record: OfflineRecord = {
    cpuId,
    atNs: startNs,
    offlineNs: k.nowNs - startNs,
    threadsMigrated: moved.migrated + (moved.runningKicked ? 1 : 0),
    affinityBroken: broken,
    timersMoved: timers + moved.timersMoved,
    vectorsMoved: vectors.moved,
    vectorsShutDown: vectors.shutDown,
    drainNs: vectors.drainNs,
  };
  hp.offlines.push(record);
  k.traceDecision(TraceKind.CpuOffline, cpuId, record.threadsMigrated);
  return 0;
}

/** select_fallback_rq: a live thread allowed on no online CPU now may run on every CPU. */
function breakAffinities(k: Kernel, cpuId: number): number {
  let broken = 0;
  for (const t of k.threads.values()) {
    if (t.state === ThreadState.Dead || t.affinity === null) continue;
    if (k.hotplug.online.some((bit, id) => bit === 1 && t.affinity![id] === 1)) continue;
    t.affinity = null;
    broken++;
    k.hotplug.log.push(`process ${t.process.pid} (tid ${t.id}) no longer affine to cpu${cpuId}`);
    k.traceDecision(TraceKind.HotplugAffinityBroken, t.id, cpuId);
  }
  return broken;
}

/** tick_offline_cpu / lapic_timer_shutdown: the dying CPU's timer interrupts stop. */
function stopTick(k: Kernel, cpuId: number): void {
  k.cpus[cpuId]!.lapic.timerMasked = true;
  k.deadlineTimer?.arm(cpuId, Number.POSITIVE_INFINITY);
  k.hrtimers?.device.arm(cpuId, Number.POSITIVE_INFINITY);
}

/** cpu_up(cpuId), run by `cpu`: 0 or a negative errno. The CPU's tick restarts and it takes work. */
export function* cpuOnline(k: Kernel, cpu: Cpu, cpuId: number): KernelGen<number> {
  const refused = refusal(k, cpuId, false);
  if (refused !== 0) return refused;
  const hp = k.hotplug;
  if (hp.online[cpuId] === 1) return 0;
  unpark(k, cpuId); // its LAPIC takes interrupts again before anything is sent to it
  hp.online[cpuId] = 1;
  hp.onlineSinceNs[cpuId] = k.nowNs;
  yield* restartDeviceVectors(k, cpuId);
  const target = k.cpus[cpuId]!;
  target.lapic.timerMasked = false;
  // Its next switch programs its one-shot; the wakeup gets it out of hlt so its idle loop picks
  // (and, finding nothing, steals: the idle pull) at once.
  k.needResched[cpuId] = 1;
  hp.onlines++;
  k.traceDecision(TraceKind.CpuOnline, cpuId, 1);
  if (cpuId !== cpu.id) yield sendIpi(cpuId, VEC_IPI_WAKEUP);
  return 0;
}

/** cpu_set_online(cpu, online): root only (EPERM otherwise), as the sysfs file is root's. */
function* sysCpuSetOnline(k: Kernel, cpu: Cpu, t: Thread, cpuId: number, online: number): KernelGen<number> {
  yield spend(k.board.costs.schedPickNs);
  if (t.process.uid !== 0) return -EPERM;
  if (online !== 0 && online !== 1) return -EINVAL;
  return online === 1 ? yield* cpuOnline(k, cpu, cpuId) : yield* cpuOffline(k, cpu, cpuId);
}

export const HOTPLUG_SYSCALLS: SyscallTable = {
  [SYS_CPU_SET_ONLINE]: (k, cpu, t, a) => sysCpuSetOnline(k, cpu, t, argNum(a[0], -1), argNum(a[1], -1)),
};
