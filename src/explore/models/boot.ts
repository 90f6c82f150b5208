/**
 * The bring-up races K1, K2 and K8 (HW-4, HW-5) on the real bring-up code (src/kernel/boot/:
 * bsp.ts's `bringUpAps`, ap.ts's trampoline and `apMain`), driven by boot-host.ts: thread 0 is
 * the BSP, threads 1..N-1 the APs, each started by the BSP's SIPI. Each model switches on one
 * race of `BootRaces` (plan.ts); its fixed twin runs the same protocol with every race off.
 *
 * - `k1`: the parallel protocol (Linux 6.5+, HW-3), where every AP runs its trampoline at once,
 *   with Redox's split CPU_COUNT update: two APs can take one logical id.
 * - `k2`: Redox's serial protocol with its second ready flag (AP_READY, set before the AP's
 *   init): the BSP takes a half-initialised CPU as up.
 * - `k8`: Redox's serial protocol with the CPU marked online before its NUMA node is written.
 *
 * K1 on the real code meets issue 17's 4-AP targets because the mask words' accesses are
 * annotated at their call sites (kernel/boot/words.ts `setBit`, `spinLoad`): an AP's callin and
 * online bits commute with other APs' bits and with the BSP's waits for other bits, so the only
 * orders left to explore are those of the CPU_COUNT accesses (N! for N APs when fixed). The
 * stand-in program the explorer was built with stays as `k1-stand-in` (k1-stand-in.ts).
 *
 * The K1 check reads the logical ids the APs took (BootRun's records) when the run ends; the K2
 * and K8 checks are the BSP's own counters (bsp.ts `checkVisible`), turned into a failed
 * assertion the moment they count.
 */
import type { BootProtocol, BootRaces } from '../../kernel/boot/plan.ts';
import {
  AP_READY,
  CALLIN_MASK,
  CALLOUT_MASK,
  CPU_COUNT,
  maskWord,
  ONLINE_MASK,
  TRAMP_ARGS,
  TRAMP_READY,
} from '../../kernel/boot/layout.ts';
import { apMain } from '../../kernel/boot/ap.ts';
import { bringUpAps } from '../../kernel/boot/bsp.ts';
import type { Model, ModelInstance } from '../model.ts';
import type { OwnedBits } from '../owned.ts';
import { apThread, bootHost, explored, START_WORDS } from './boot-host.ts';
import { k1StandIn } from './k1-stand-in.ts';

const NO_RACES: BootRaces = { counter: false, dualReady: false, nodeLate: false };

function names(cpus: number): Map<number, string> {
  const out = new Map<number, string>([
    [CPU_COUNT, 'CPU_COUNT'],
    [AP_READY, 'AP_READY'],
    [TRAMP_READY, 'tramp_ready'],
    [TRAMP_ARGS, 'tramp_args'],
    [CALLIN_MASK, 'cpu_callin_mask'],
    [CALLOUT_MASK, 'cpu_callout_mask'],
    [ONLINE_MASK, 'cpu_online_mask'],
  ]);
  for (let i = 1; i < cpus; i++) out.set(START_WORDS + 4 * i, `sipi[${i}]`);
  return out;
}

/**
 * The bits one CPU alone changes (explore/owned.ts, checked on every write): an AP's start word
 * (the BSP's SIPI) and callout bit are the BSP's, its callin and online bits its own.
 */
function owned(cpus: number): OwnedBits[] {
  return range(1, cpus).flatMap((i) => [
    { addr: START_WORDS + 4 * i, bits: 0xffff_ffff, writer: 0 },
    { ...bitOf(CALLOUT_MASK, i), writer: 0 },
    { ...bitOf(CALLIN_MASK, i), writer: i },
    { ...bitOf(ONLINE_MASK, i), writer: i },
  ]);
}

function bitOf(mask: number, cpu: number): { addr: number; bits: number } {
  const w = maskWord(mask, cpu);
  return { addr: w.addr, bits: w.bit };
}

/** One bring-up as a model instance: the BSP's loop and each AP's code, on a fresh host. */
function instance(
  cpus: number,
  protocol: BootProtocol,
  races: BootRaces,
  race: keyof BootRaces,
): ModelInstance {
  const { run, cpus: cpu } = bootHost(cpus, { protocol, races, legacyDelays: false, faults: [] });
  // The model's own check: K2 counts half-initialised CPUs, K8 unset nodes (a K8 CPU is also
  // online before its init is done, which is not what k8 is about).
  const count = () =>
    race === 'nodeLate' ? run.nodeUnsetSeen : race === 'dualReady' ? run.halfInitialised : 0;
  const seen = () => {
    if (count() === 0) return null;
    const tag = race === 'nodeLate' ? '(K8)' : '(K2)';
    return [...run.log]
      .reverse()
      .find((l) => l.endsWith(tag))!
      .replace(/^\[[^\]]*\] /, '');
  };
  return {
    threads: [
      { name: 'BSP', run: (t) => explored(t, bringUpAps(run, cpu[0]!), seen) },
      ...range(1, cpus).map((i) => ({
        name: `AP${i}`,
        run: (t: Parameters<typeof apThread>[0]) => apThread(t, cpu[i]!, () => apMain(run, cpu[i]!)),
      })),
    ],
    names: names(cpus),
    owned: owned(cpus),
    finalCheck: () => {
      const owner = new Map<number, number>();
      for (const r of run.records) {
        if (r.logicalId === null) continue;
        const other = owner.get(r.logicalId);
        if (other !== undefined) {
          return {
            kind: 'duplicate-cpu-id',
            message: `CPU ${other} and CPU ${r.cpu} both took logical CPU id ${r.logicalId}`,
          };
        }
        owner.set(r.logicalId, r.cpu);
      }
      return null;
    },
  };
}

interface BootModelSpec {
  name: string;
  race: keyof BootRaces;
  protocol: BootProtocol;
  claims: string;
  cpus: number;
  cpusMax: number;
  buggy: string;
  fixed: string;
}

function bootModels(s: BootModelSpec): Model[] {
  const make = (fixed: boolean): Model => ({
    name: fixed ? `${s.name}-fixed` : s.name,
    description: fixed ? s.fixed : s.buggy,
    claims: s.claims,
    buggy: !fixed,
    memory: 'sc',
    cpus: s.cpus,
    cpusMin: 2,
    cpusMax: s.cpusMax,
    source: `real code: kernel/boot/bsp.ts bringUpAps + ap.ts apMain, ${s.protocol} protocol, races.${s.race} ${fixed ? 'off' : 'on'}`,
    build: (cpus) => instance(cpus, s.protocol, fixed ? NO_RACES : { ...NO_RACES, [s.race]: true }, s.race),
  });
  return [make(false), make(true)];
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}

export const BOOT_MODELS: Model[] = [
  ...bootModels({
    name: 'k1',
    race: 'counter',
    protocol: 'parallel',
    claims: 'HW-4, K1',
    cpus: 5,
    cpusMax: 16,
    buggy: 'CPU ids by reading CPU_COUNT, then storing it plus one: two APs can take the same id',
    fixed: 'CPU ids by one atomic fetch-add of CPU_COUNT: every AP gets its own',
  }),
  k1StandIn(false),
  k1StandIn(true),
  ...bootModels({
    name: 'k2',
    race: 'dualReady',
    protocol: 'redox',
    claims: 'HW-5, K2',
    cpus: 3,
    cpusMax: 8,
    buggy: 'a second readiness flag beside the trampoline word: the BSP goes on while the AP is half set up',
    fixed: 'one readiness flag, written last after the per-CPU setup',
  }),
  ...bootModels({
    name: 'k8',
    race: 'nodeLate',
    protocol: 'redox',
    claims: 'HW-5, K8',
    cpus: 3,
    cpusMax: 8,
    buggy: 'the NUMA node is written after the CPU becomes visible: the BSP sees no node',
    fixed: 'the NUMA node is written before the CPU becomes visible',
  }),
];
