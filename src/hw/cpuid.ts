/**
 * What CPUID tells the code running on a CPU about itself (Intel SDM vol. 2A, CPUID): its
 * initial APIC id (leaf 0xB EDX, all 32 bits; leaf 1 EBX[31:24] holds only the low 8), the
 * x2APIC feature (leaf 1 ECX bit 21), and leaf 0xB's shift widths that split an APIC id into
 * package, core and SMT thread. The kernel reads it on the CPU it runs on, as Linux's
 * arch/x86/kernel/cpu/topology_ext.c does, and with the widths decodes every MADT APIC id.
 */
import type { Topology } from './topology.ts';

export interface CpuidInfo {
  apicId: number;
  /** CPUID.1:ECX[21]: the LAPIC can run in x2APIC mode (32-bit ids, MSR access). */
  x2apic: boolean;
  /** Leaf 0xB level 1 (SMT) EAX[4:0]: APIC id >> smtShift is the core's id. */
  smtShift: number;
  /** Leaf 0xB level 2 (core) EAX[4:0]: APIC id >> packageShift is the package's id. */
  packageShift: number;
  /** Leaf 0x15 (TSC/crystal ratio × crystal): the nominal TSC frequency, kHz. */
  tscKhz: number;
}

export function cpuidOf(topology: Topology, cpuId: number, x2apic: boolean, tscKhz: number): CpuidInfo {
  return { apicId: topology.cpus[cpuId]!.apicId, x2apic, ...topology.shifts, tscKhz };
}
