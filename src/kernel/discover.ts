/**
 * Early boot on the BSP: find the firmware tables from the RSDP address the bootloader handed
 * over, parse them with the configured parser (kernel/acpi/), and turn the result into the
 * kernel's topology and its CPU list (kernel/topology.ts). HW-14: this is the only way the kernel
 * learns the machine.
 */
import type { Board } from '../hw/board.ts';
import type { Cpu } from '../hw/cpu.ts';
import { parseFirmware } from './acpi/parse.ts';
import type { FirmwareTopology, ParserName } from './acpi/types.ts';
import { type KernelTopology, kernelTopology } from './topology.ts';

export interface Discovered {
  firmware: FirmwareTopology;
  topology: KernelTopology;
  /** The CPUs the kernel runs on, by CPU id. */
  cpus: Cpu[];
}

export function discoverMachine(board: Board, parser: ParserName): Discovered {
  const bsp = board.cpus[0]!; // the CPU the firmware starts, and the kernel runs on
  const firmware = parseFirmware(
    { kind: 'memory', phys: board.firmware, bootloaderRsdp: board.firmware.bootloaderRsdp },
    parser,
    { bspApicId: bsp.cpuid.apicId },
  );
  const topology = kernelTopology(firmware, bsp.cpuid, (apicId) => board.apic.slotOf(apicId));
  return { firmware, topology, cpus: topology.cpus.map((c) => board.cpus[c.cpuId]!) };
}
