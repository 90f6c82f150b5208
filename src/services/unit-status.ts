/**
 * `systemctl status`-style lines (SVC-1, SVC-6): one per unit, as `systemctl status` heads each
 * unit (`● name - description`, then `Active: active (running) since …`), folded into one line
 * per unit so a whole machine fits: the marker (● up, × failed, ○ anything else), the name,
 * the state systemd would show, since when, the main pid, the restarts and the description.
 * The driver manager's status file (`/run/drvmgr.status`, one `device state driver` line per
 * device) is shown the same way by `drvmgr --status` (driver-manager-program.ts).
 */
import type { UnitRecord, UnitState } from './init-core.ts';

/** systemd's words for init's states (systemctl status's Active: line). */
const ACTIVE: Readonly<Record<UnitState, string>> = {
  queued: 'inactive (dead)',
  starting: 'activating (start)',
  up: 'active (running)',
  done: 'active (exited)',
  failed: 'failed',
  skipped: 'inactive (dead, dependency failed)',
  'restart-wait': 'activating (auto-restart)',
  stopped: 'inactive (dead)',
};

const sec = (ns: number) => `${(ns / 1e9).toFixed(3)}s`;

function marker(state: UnitState): string {
  if (state === 'up' || state === 'done') return '●';
  return state === 'failed' ? '×' : '○';
}

/** One line per unit, in name order; `pids` gives the current attempt's process. */
export function unitStatusLines(records: Iterable<UnitRecord>, pids: ReadonlyMap<string, number>): string[] {
  return [...records]
    .sort((a, b) => (a.unit.name < b.unit.name ? -1 : 1))
    .map((r) => {
      // Since the last readiness (a restarted unit's latest); other states keep no time of their own.
      const since = r.state === 'up' || r.state === 'done' ? (r.lastReadyNs ?? r.settledNs) : null;
      const parts = [`${marker(r.state)} ${r.unit.name}`, ACTIVE[r.state]];
      if (since !== null) parts.push(`since @${sec(since)}`);
      const pid = pids.get(r.unit.name);
      if (pid !== undefined && (r.state === 'up' || r.state === 'starting')) parts.push(`pid ${pid}`);
      if (r.restarts > 0) parts.push(`restarts ${r.restarts}`);
      if (r.state === 'failed' && r.reason !== '') parts.push(r.reason);
      const head = parts.join(', ');
      return r.unit.description === '' ? head : `${head} - ${r.unit.description}`;
    });
}

/** The driver manager's status file as status lines: `● 00.03.0 bound e1000d` (× zombie or failed). */
export function deviceStatusLines(statusFile: string): string[] {
  return statusFile
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      // The words before the `key=value` fields (pid, restarts, exit: driver-status.ts).
      const [id, state, driver] = l
        .trim()
        .split(/\s+/)
        .filter((w) => !w.includes('='));
      const mark = state === 'bound' ? '●' : state === 'zombie' || state === 'failed' ? '×' : '○';
      return `${mark} ${id} ${state}${driver === undefined ? '' : ` (${driver})`}`;
    });
}
