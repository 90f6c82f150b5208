/**
 * rt-app's per-task measurements (its log columns run, period, slack, wu_lat) as the samples a
 * task's threads collect, and the metrics and summary lines they become (run.ts).
 */
export interface TaskStats {
  loops: number;
  runNs: number[];
  periodNs: number[];
  slackNs: number[];
  wuLatNs: number[];
}

export function emptyStats(): TaskStats {
  return { loops: 0, runNs: [], periodNs: [], slackNs: [], wuLatNs: [] };
}

const avg = (xs: readonly number[]) =>
  xs.length === 0 ? 0 : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
const min = (xs: readonly number[]) => (xs.length === 0 ? 0 : Math.min(...xs));
const max = (xs: readonly number[]) => (xs.length === 0 ? 0 : Math.max(...xs));

/** One task's metrics, keyed `<task>_<key>`. */
export function taskMetrics(name: string, s: TaskStats): Record<string, number> {
  return {
    [`${name}_loops`]: s.loops,
    [`${name}_periods`]: s.wuLatNs.length,
    [`${name}_period_avg_ns`]: avg(s.periodNs),
    [`${name}_run_avg_ns`]: avg(s.runNs),
    [`${name}_slack_min_ns`]: min(s.slackNs),
    [`${name}_slack_avg_ns`]: avg(s.slackNs),
    [`${name}_wu_lat_avg_ns`]: avg(s.wuLatNs),
    [`${name}_wu_lat_max_ns`]: max(s.wuLatNs),
  };
}

const us = (ns: number) => Math.round(ns / 1000);

/** Every task's metrics and one summary line a task under `text.stdout`. */
export function rtappOutput(all: ReadonlyMap<string, TaskStats>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const stdout: string[] = [];
  for (const [name, s] of all) {
    const m = taskMetrics(name, s);
    Object.assign(out, m);
    stdout.push(
      `${name}: loops ${s.loops} periods ${s.wuLatNs.length} period ${us(m[`${name}_period_avg_ns`]!)} us run ${us(m[`${name}_run_avg_ns`]!)} us slack min ${us(m[`${name}_slack_min_ns`]!)} us wu_lat avg ${us(m[`${name}_wu_lat_avg_ns`]!)} max ${us(m[`${name}_wu_lat_max_ns`]!)} us`,
    );
  }
  out.text = { stdout };
  return out;
}
