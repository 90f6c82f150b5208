/**
 * `smpsim trace-check FILE [--json]`: validates a Chrome trace-event JSON file (one `run
 * --trace` wrote, or any other) against the rules in docs/trace.md (report/trace/check.ts).
 * Exit 0 valid, 1 invalid (the problems listed), 2 a file that cannot be read or parsed.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkTrace, type TraceCheck } from '../report/trace/check.ts';
import { UsageError } from './errors.ts';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export function registerTraceCheckCommand(program: Command, io: Io, setStatus: (s: number) => void): void {
  program
    .command('trace-check')
    .description('validate a trace file (Chrome trace-event JSON): order, slices, flows, counters, names')
    .argument('<file>', 'trace file (JSON), e.g. from run --trace')
    .option('--json', 'print one JSON object (schema smpsim.trace-check/1)')
    .action((file: string, opts: { json?: boolean }) => {
      const result = checkTrace(readTrace(file));
      if (opts.json === true)
        io.out(`${JSON.stringify({ schema: 'smpsim.trace-check/1', file, ...result }, null, 2)}\n`);
      else io.out(formatCheck(file, result));
      setStatus(result.ok ? 0 : 1);
    });
}

function readTrace(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(file, `cannot read the file (${code})`, 'a trace file written by run --trace');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(file, `not JSON: ${(error as Error).message}`, 'Chrome trace-event JSON');
  }
}

export function formatCheck(file: string, r: TraceCheck): string {
  const lines = [
    `${file}: ${r.ok ? 'valid' : `INVALID, ${r.problems} problem${r.problems === 1 ? '' : 's'}`}`,
    `  ${r.events} events on ${r.tracks} tracks: ${r.slices} slices, ${r.flows} flows, ${r.counters} counter samples, ${r.instants} instants, ${r.metadata} metadata`,
  ];
  for (const e of r.errors) lines.push(`  ${e}`);
  if (r.problems > r.errors.length) lines.push(`  ... and ${r.problems - r.errors.length} more`);
  return `${lines.join('\n')}\n`;
}
