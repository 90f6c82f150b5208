/**
 * The README's bring-up table (issue 16, HW-1..HW-6, K7, K15): the simulated bring-up time per
 * protocol (redox, linux, parallel) and CPU count, each point a real run of the bring-up programs
 * (kernel/boot/) on a machine built from its parsed tables, as `smpsim boot --cpus N --protocol P`
 * runs it. Redox's parser stops at MAX_CPU_COUNT 128, so its 256-CPU cell says how many came up.
 * scripts/update-readme.mjs writes it; test/readme.test.ts checks it.
 */
import type { BootProtocol } from '../kernel/boot/plan.ts';
import { bootRunConfig, runBoot } from './boot-run.ts';

export const BOOT_TABLE_CPUS = [4, 16, 64, 128, 256] as const;
const PROTOCOL_ROWS: readonly (readonly [BootProtocol, string])[] = [
  ['redox', 'redox (INIT + one SIPI, spin-count waits, serial)'],
  ['linux', 'linux (INIT, two SIPIs, udelay waits, serial)'],
  ['parallel', 'parallel (Linux 6.5+: every AP kicked at once)'],
];

/** One cell: the bring-up time in ms, and the CPUs online when not all of them came up. */
function cell(protocol: BootProtocol, cpus: number): string {
  const { report } = runBoot(bootRunConfig({ cpus, protocol }));
  const ms = (report.totalNs / 1e6).toFixed(2);
  if (report.online.length === cpus) return ms;
  return `${ms} (${report.online.length} of ${cpus} online${protocol === 'redox' && cpus > 128 ? ': MAX_CPU_COUNT 128' : ''})`;
}

export function bootTimesMarkdown(): string[] {
  const lines = [
    `| bring-up time (ms) | ${BOOT_TABLE_CPUS.map((n) => `${n} CPUs`).join(' | ')} |`,
    `| --- |${BOOT_TABLE_CPUS.map(() => ' --- |').join('')}`,
  ];
  for (const [protocol, label] of PROTOCOL_ROWS) {
    lines.push(`| ${label} | ${BOOT_TABLE_CPUS.map((n) => cell(protocol, n)).join(' | ')} |`);
  }
  return lines;
}
