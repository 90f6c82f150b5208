/**
 * `smpsim boot --cpus N [--protocol redox|linux|parallel] [--inject CPU:FAULT,...] [--bugs ...]
 * [--nodes K] [--parser redox|hardened] [--legacy] [--no-x2apic] [--tables DIR] [--json]`: brings a machine up as
 * issue 16 models it and prints the timeline per CPU (INIT, SIPIs, callin, online), the total
 * bring-up time, the firmware findings and the possible and online sets. `--login [--units
 * FILE]` continues into userspace under both inits up to the login prompt (boot-login.ts).
 */
import type { Command } from 'commander';
import { AP_FAULTS, type ApFault } from '../hw/ap-startup.ts';
import { FIRMWARE_BUGS } from '../hw/acpi/bugs.ts';
import { PARSER_NAMES } from '../kernel/acpi/types.ts';
import { BOOT_PROTOCOLS, type BootReport } from '../kernel/boot/plan.ts';
import { FirmwareBootStop } from '../kernel/topology.ts';
import { type BootRunResult, bootRunConfig, runBoot } from '../report/boot-run.ts';
import { machineFromTables } from '../scenario/firmware-tables.ts';
import { loadTableFiles } from './acpi-files.ts';
import { DEFAULT_UNITS, formatLogins, runLogins } from './boot-login.ts';
import { UsageError } from './errors.ts';
import { parseChoiceFlag, parseIntFlag } from './flags.ts';

export interface BootCliOptions {
  cpus?: string;
  nodes?: string;
  protocol?: string;
  parser?: string;
  inject?: string;
  bugs?: string;
  legacy?: boolean;
  x2apic?: boolean;
  tables?: string;
  json?: boolean;
  login?: boolean;
  units?: string;
}

function parseFaults(raw: string | undefined, cpus: number): { cpu: number; fault: ApFault }[] {
  if (raw === undefined) return [];
  return raw.split(',').map((item) => {
    const [cpu, fault] = item.trim().split(':');
    return {
      cpu: parseIntFlag('--inject', cpu ?? '', 1, cpus - 1),
      fault: parseChoiceFlag('--inject', fault ?? '', AP_FAULTS),
    };
  });
}

/** `--tables DIR`: the files' bytes and the machine they describe; --cpus/--nodes may only agree. */
function tablesOf(opts: BootCliOptions) {
  if (opts.tables === undefined) return undefined;
  const files = loadTableFiles(opts.tables, '--tables');
  const topology = machineFromTables(files.map((f) => f.bytes));
  if (typeof topology === 'string') throw new UsageError('--tables', `${opts.tables}: ${topology}`);
  const agree = (flag: string, given: string | undefined, value: number) => {
    if (given !== undefined && Number(given) !== value) {
      throw new UsageError(
        flag,
        `${opts.tables} gives ${value}, ${flag} says ${given}`,
        `leave ${flag} out, or ${value}`,
      );
    }
  };
  agree('--cpus', opts.cpus, topology.cpus);
  agree('--nodes', opts.nodes, topology.numaNodes);
  return { dir: opts.tables, bytes: files.map((f) => f.bytes), topology };
}

function configOf(opts: BootCliOptions) {
  const tables = tablesOf(opts);
  const cpusFlag = opts.cpus ?? (tables === undefined ? undefined : String(tables.topology.cpus));
  if (cpusFlag === undefined) throw new UsageError('--cpus', 'required (or --tables DIR)', '1..256');
  const cpus = parseIntFlag('--cpus', cpusFlag, 1, 256);
  const nodes = tables?.topology.numaNodes ?? parseIntFlag('--nodes', opts.nodes ?? '1', 1, 8);
  if (cpus % nodes !== 0) throw new UsageError('--nodes', `${cpus} CPUs do not split into ${nodes} nodes`);
  const protocol = parseChoiceFlag('--protocol', opts.protocol ?? 'linux', BOOT_PROTOCOLS);
  const bugs =
    opts.bugs === undefined
      ? []
      : opts.bugs.split(',').map((b) => parseChoiceFlag('--bugs', b.trim(), FIRMWARE_BUGS));
  return bootRunConfig({
    cpus,
    nodes,
    protocol,
    ...(opts.parser === undefined ? {} : { parser: parseChoiceFlag('--parser', opts.parser, PARSER_NAMES) }),
    bugs,
    x2apic: opts.x2apic !== false,
    legacyDelays: opts.legacy === true,
    faults: parseFaults(opts.inject, cpus),
    ...(tables === undefined ? {} : { tables }),
  });
}

const ms = (ns: number | null) => (ns === null ? '-' : (ns / 1e6).toFixed(3));

function formatBoot(r: BootReport, findings: { severity: string; code: string; message: string }[]): string {
  const lines = [
    `${r.protocol} bring-up: ${r.online.length}/${r.possible.length} CPUs online in ${ms(r.totalNs)} ms`,
    `races: K1 counter ${r.races.counter ? 'on' : 'fixed'}, K2 dual ready ${r.races.dualReady ? 'on' : 'fixed'}, K8 node late ${r.races.nodeLate ? 'on' : 'fixed'}; duplicate ids ${r.duplicateIds}, half-initialised ${r.halfInitialised}, node unset ${r.nodeUnsetSeen}`,
    '',
    'cpu  apic  INIT ms  SIPI ms            callin ms  online ms  status',
  ];
  for (const c of r.cpus) {
    const sipis = c.sipiNs.map((s) => ms(s)).join(',') || '-';
    lines.push(
      `${String(c.cpu).padEnd(4)} ${String(c.apicId).padEnd(5)} ${ms(c.initNs).padEnd(8)} ${sipis.padEnd(18)} ${ms(c.callinNs).padEnd(10)} ${ms(c.onlineNs).padEnd(10)} ${c.status}${c.reason === '' ? '' : ` (${c.reason})`}`,
    );
  }
  lines.push('', `possible: ${r.possible.join(',')}`, `online:   ${r.online.join(',')}`);
  if (r.framesFreed > 0) lines.push(`frames freed from failed APs: ${r.framesFreed}`);
  lines.push('', `firmware findings: ${findings.length}`);
  for (const f of findings) lines.push(`  ${f.severity} ${f.code}: ${f.message}`);
  lines.push('', 'log:', ...r.log.map((l) => `  ${l}`));
  return `${lines.join('\n')}\n`;
}

export function bootCommand(opts: BootCliOptions, out: (s: string) => void): number {
  const config = configOf(opts);
  let result: BootRunResult;
  try {
    result = runBoot(config);
  } catch (error) {
    // The modelled kernel does not survive its tables (a parser panic): said, not an internal error.
    if (!(error instanceof FirmwareBootStop)) throw error;
    out(
      `${opts.json === true ? JSON.stringify({ schema: 'smpsim.boot/1', stopped: error.message }) : error.message}\n`,
    );
    return 1;
  }
  const { machine, report } = result;
  const findings = machine.kernel.firmware.findings;
  const logins =
    opts.login === true || opts.units !== undefined ? runLogins(opts.units, report.online.length) : null;
  if (opts.json === true) {
    const login = logins === null ? {} : { login: logins };
    out(
      `${JSON.stringify({ schema: 'smpsim.boot/1', boot: report, findings, trace_hash: machine.board.trace.hex(), ...login })}\n`,
    );
  } else {
    out(formatBoot(report, findings) + (logins === null ? '' : formatLogins(logins, report.totalNs)));
  }
  return logins === null || logins.every((r) => r.booted) ? 0 : 1;
}

export function registerBootCommand(
  program: Command,
  out: (s: string) => void,
  setStatus: (s: number) => void,
): void {
  program
    .command('boot')
    .description('bring a machine up from its firmware tables and print the timeline per CPU (issue 16)')
    .option('--cpus <n>', 'CPUs (1..256)')
    .option('--nodes <k>', 'NUMA nodes (1..8)')
    .option('--protocol <name>', `${BOOT_PROTOCOLS.join(', ')} (default linux)`)
    .option('--parser <name>', 'redox or hardened (default: redox with --protocol redox, else hardened)')
    .option('--inject <faults>', `comma list of CPU:FAULT, FAULT one of ${AP_FAULTS.join(', ')}`)
    .option('--bugs <bugs>', `comma list of firmware bugs: ${FIRMWARE_BUGS.join(', ')}`)
    .option('--legacy', "Linux's legacy delays (10 ms after INIT)")
    .option('--tables <dir>', "boot from a real machine's table files (its CPUs and nodes come from them)")
    .option('--no-x2apic', 'CPUID without x2APIC (xAPIC fallback)')
    .option(
      '--login',
      'continue into userspace: init (redox and improved) up to the login prompt, with the critical chain',
    )
    .option(
      '--units <file>',
      `the scenario whose unit files init starts (implies --login; default ${DEFAULT_UNITS})`,
    )
    .option('--json', 'print one JSON object (schema smpsim.boot/1)')
    .action((opts: BootCliOptions) => {
      setStatus(bootCommand(opts, out));
    });
}
