/**
 * `drvmgr-status`: what `pcid-spawner --status` would print (the seed's change log; SVC-6), read
 * from the driver manager's status file (`/run/drvmgr.status`, rewritten after every poll:
 * DriverManagerState.statusFile, when the manager runs with `status = "full"`). smpsim guests have no terminal, so the lines are published the
 * way guests publish output: as a scenario workload under `text.status` (the report's guest_text,
 * printed by `smpsim run`), and as a unit (`cmd = "drvmgr-status"`, a oneshot) into
 * STATUS_OUT, its stand-in for stdout. One line per device:
 *   00.03.0 e1000d bound, pid 7, restarts 0, last exit none
 *   00.03.0 e1000d unbound, pid -, restarts 0, last exit signal 11 (SIGSEGV)
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { sleep_ns } from '../libc/time.ts';
import { STATUS_FILE } from './driver-manager-program.ts';
import { closeFd, readFileText, writeByte, writeFileText } from './io.ts';
import { parseServiceArgs, type ServiceArg } from './service-program.ts';

export const DRVMGR_STATUS_OUTPUT = 'drvmgr-status';
/** Where the unit form writes its lines. */
export const STATUS_OUT = '/run/drvmgr-status.out';

const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  15: 'SIGTERM',
};

export interface DeviceStatus {
  id: string;
  state: string;
  driver: string | null;
  pid: string;
  restarts: number;
  exit: string;
  /** False for a short line (the manager ran with status=short): no pid, restarts or exit. */
  full: boolean;
}

/** One status-file line; null for a blank one. A line not in the format is an error naming it. */
export function parseStatusLine(line: string): DeviceStatus | null {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  const plain = words.filter((w) => !w.includes('='));
  const fields = Object.fromEntries(words.filter((w) => w.includes('=')).map((w) => w.split('=', 2)));
  if (plain.length < 2 || plain.length > 3)
    throw new Error(`${STATUS_FILE}: line "${line}": allowed: ID STATE [DRIVER] pid=P restarts=N exit=E`);
  return {
    id: plain[0]!,
    state: plain[1]!,
    driver: plain[2] ?? fields.driver ?? null,
    pid: fields.pid ?? '-',
    restarts: Number(fields.restarts ?? '0'),
    exit: fields.exit ?? '-',
    full: fields.pid !== undefined,
  };
}

/** `signal:11` -> `signal 11 (SIGSEGV)`, `status:1` -> `status 1`, `-` -> `none`. */
function exitText(word: string): string {
  const [kind, n] = word.split(':');
  if (kind === 'signal')
    return `signal ${n}${SIGNAL_NAMES[Number(n)] ? ` (${SIGNAL_NAMES[Number(n)]})` : ''}`;
  if (kind === 'status') return `status ${n}`;
  return 'none';
}

/** The printed lines for a status file's text. */
export function statusReport(text: string): string[] {
  return text
    .split('\n')
    .map(parseStatusLine)
    .filter((d): d is DeviceStatus => d !== null)
    .map((d) =>
      d.full
        ? `${d.id} ${d.driver ?? '-'} ${d.state}, pid ${d.pid}, restarts ${d.restarts}, last exit ${exitText(d.exit)}`
        : `${d.id} ${d.driver ?? '-'} ${d.state} (no pid, restarts or exit: the manager runs with status=short)`,
    );
}

/** Reads the status file `afterNs` from now; returns the lines, or null when there is none. */
export function* readStatus(t: Guest, afterNs: number): Program<string[] | null> {
  if (afterNs > 0) yield* sleep_ns(t, afterNs);
  const text = yield* readFileText(t, STATUS_FILE);
  return text === null ? null : statusReport(text);
}

/** Publishes the lines as a workload's output: `devices`, `found` and `text.status`. */
export function publishStatus(t: Guest, lines: string[] | null): void {
  const output = (t.data.output ??= {}) as Record<string, unknown>;
  output[DRVMGR_STATUS_OUTPUT] = {
    found: lines === null ? 0 : 1,
    devices: lines?.length ?? 0,
    text: { status: lines ?? [`${STATUS_FILE}: no such file (has the driver manager run?)`] },
  };
}

/** The unit form: `after_ms=N` (default 0), then the lines to STATUS_OUT; oneshot, exit 0 (1: no file). */
function* unitMain(t: Guest, raw: unknown): Program<number> {
  const arg = raw as ServiceArg;
  const afterMs = Number(parseServiceArgs(arg.args).after_ms ?? '0');
  if (!Number.isInteger(afterMs) || afterMs < 0)
    throw new Error(`drvmgr-status: argument after_ms=${afterMs}: allowed: a whole number of ms`);
  const lines = yield* readStatus(t, afterMs * 1_000_000);
  publishStatus(t, lines);
  if (lines !== null) yield* writeFileText(t, STATUS_OUT, `${lines.join('\n')}\n`);
  if (arg.notifyFd >= 0) {
    yield* writeByte(t, arg.notifyFd);
    yield* closeFd(t, arg.notifyFd);
  }
  return lines === null ? 1 : 0;
}

export const DRVMGR_STATUS: ProgramImage = { name: 'drvmgr-status', main: unitMain };
