/**
 * `run`'s trace flags, checked before the run: `--trace FILE`, `--trace-max-mb N` (the size
 * bound) and `--trace-window START,END` (simulated time with units), each needing `--trace`.
 */
import type { ChromeTraceSummary } from '../report/chrome-trace.ts';
import type { RunOptions } from '../report/run.ts';
import { parseTraceWindow, type TraceWindow, WINDOW_ALLOWED } from '../report/trace/window.ts';
import { UsageError } from './errors.ts';
import { checkWritableFile, parseIntFlag } from './flags.ts';

/** The largest `--trace-max-mb`: 64 GiB. */
const TRACE_MAX_MB_MAX = 65_536;

export interface TraceFlags {
  trace?: string;
  traceMaxMb?: string;
  traceWindow?: string;
}

/**
 * A `START,END` window flag (`run --trace-window`, `plot --window`): the one parser of simulated
 * time windows (report/trace/window.ts), its problem a usage error naming `flag`.
 */
export function parseWindowFlag(flag: string, raw: string): TraceWindow {
  const parsed = parseTraceWindow(raw);
  if (typeof parsed === 'string') throw new UsageError(flag, parsed, WINDOW_ALLOWED);
  return parsed;
}

/** The run options the flags ask for; `err` is told when the size bound stopped the trace. */
export function traceRunOptions(opts: TraceFlags, err: (text: string) => void): RunOptions {
  const traceMb =
    opts.traceMaxMb === undefined
      ? undefined
      : parseIntFlag('--trace-max-mb', opts.traceMaxMb, 1, TRACE_MAX_MB_MAX);
  if (traceMb !== undefined && opts.trace === undefined)
    throw new UsageError('--trace-max-mb', 'needs --trace');
  let window: RunOptions['traceWindow'];
  if (opts.traceWindow !== undefined) {
    if (opts.trace === undefined) throw new UsageError('--trace-window', 'needs --trace');
    window = parseWindowFlag('--trace-window', opts.traceWindow);
  }
  if (opts.trace === undefined) return {};
  // Checked before the run, so a bad path costs nothing instead of the whole simulation.
  checkWritableFile('--trace', opts.trace);
  return {
    traceFile: opts.trace,
    traceBytesMax: traceMb === undefined ? undefined : traceMb * 1024 * 1024,
    traceWindow: window,
    // The bound stops the trace, not the run: say so where the user sees it.
    onTrace: (s: ChromeTraceSummary) => {
      if (s.message !== null) err(`smpsim: ${s.message}\n`);
    },
  };
}
