/**
 * What a simulated bring-up is asked to do and what it reports (issue 16, HW-1..HW-5, K1, K2, K7,
 * K8, K15): the protocol, each race of Redox's AP code on or fixed separately, Linux's legacy
 * delays, and per CPU a timeline (INIT, SIPIs, callin, online) with its outcome.
 *
 * - `redox`: Redox's code (src/acpi/madt/arch/x86.rs, src/arch/x86_64/start.rs): serial, INIT then
 *   one SIPI with no delay, spin-count waits (Red Bear's 10^8-iteration timeout) whose length is
 *   the CPU's clock and PAUSE latency (K7, K15);
 * - `linux`: arch/x86/kernel/smpboot.c as of 6.4: serial, INIT, init_udelay (10 ms legacy, 0
 *   modern), two SIPIs with ESR cleared before and read after each, 10 s callin timeout with
 *   udelay(100) polls, callin/callout masks;
 * - `parallel`: Linux 6.5+ (`cpuhp_bringup_cpus_parallel`): every AP kicked first, each then
 *   released through its serial part in turn.
 */
import type { ApFault } from '../../hw/ap-startup.ts';

export const BOOT_PROTOCOLS = ['redox', 'linux', 'parallel'] as const;
export type BootProtocol = (typeof BOOT_PROTOCOLS)[number];

export interface BootRaces {
  /** K1: the AP reads the CPU counter and stores it plus one in two steps (not one fetch-add). */
  counter: boolean;
  /** K2: the BSP trusts a second ready flag the AP sets before its init is done. */
  dualReady: boolean;
  /** K8: the AP writes its NUMA node after it became visible. */
  nodeLate: boolean;
}

export interface BootOptions {
  protocol: BootProtocol;
  races: BootRaces;
  /** Linux's legacy delays: 10 ms after INIT, 300/200 µs around each SIPI (else 0 and 10/10 µs). */
  legacyDelays: boolean;
  /** Faults injected on APs, by CPU index. */
  faults: { cpu: number; fault: ApFault }[];
}

/** Each protocol's own code: Redox's races all there, Linux's and parallel's fixed. */
export function presetRaces(protocol: BootProtocol): BootRaces {
  const on = protocol === 'redox';
  return { counter: on, dualReady: on, nodeLate: on };
}

/** `not-listed`: a hole in the CPU ids the tables leave (kernel/topology.ts), never started. */
export type CpuBootStatus = 'bsp' | 'online' | 'failed' | 'not-started' | 'not-listed';

export interface CpuBootRecord {
  cpu: number;
  apicId: number;
  /** Times in ns from the start of bring-up; null where it did not happen. */
  initNs: number | null;
  sipiNs: number[];
  callinNs: number | null;
  onlineNs: number | null;
  status: CpuBootStatus;
  /** The logical id the AP took from the CPU counter (K1: two APs may take one). */
  logicalId: number | null;
  reason: string;
}

export interface BootReport {
  protocol: BootProtocol;
  races: BootRaces;
  startNs: number;
  /** From the first INIT to the last AP online (or given up), ns. */
  totalNs: number;
  cpus: CpuBootRecord[];
  possible: number[];
  online: number[];
  /** Frames given back from APs that failed (stack, per-CPU block). */
  framesFreed: number;
  /** K1: logical ids taken by more than one AP. */
  duplicateIds: number;
  /** K2/K8: APs the BSP saw as up before their init or NUMA node was written. */
  halfInitialised: number;
  nodeUnsetSeen: number;
  log: string[];
}
