/** The text `smpsim explore` prints: the model list, a search's verdict, a replayed schedule. */
import type { ExploreReport } from '../explore/explore.ts';
import type { Model } from '../explore/model.ts';
import type { Replay } from '../explore/replay.ts';

export function formatExploreList(models: readonly Model[]): string {
  const width = Math.max(...models.map((m) => m.name.length));
  const lines = models.map((m) => {
    const kind = m.name.startsWith('litmus') ? 'litmus' : m.buggy ? 'buggy ' : 'fixed ';
    return `  ${m.name.padEnd(width)}  ${kind} ${m.memory.padEnd(3)} cpus ${m.cpus} (${m.cpusMin}..${m.cpusMax})  ${m.description}`;
  });
  return `built-in models (name, kind, default memory model, CPUs, what it checks):\n${lines.join('\n')}\n`;
}

function short(x: number): string {
  return x >= 1e6 || (x < 1e-3 && x > 0) ? x.toExponential(2) : String(Math.round(x * 1000) / 1000);
}

export function formatExploreReport(r: ExploreReport, tracePath?: string): string {
  const timed = r.timing === 'model' ? ', --timing model' : '';
  const head = `${r.model} (${r.cpus} CPUs, ${r.memory}, ${r.strategy}${r.strategy === 'pct' ? ` depth ${r.pct?.depth}` : ''}${timed})`;
  const lines: string[] = [];
  if (r.estimate !== null) {
    lines.push(
      `  space: about ${short(Math.round(r.estimate.schedules))} schedules without reduction (Knuth estimate over ${r.estimate.probes} random walks, up to ${r.estimate.stepsMax} steps)`,
    );
  }
  const v = r.violation;
  if (v !== null) {
    lines.unshift(`${head}: VIOLATION ${v.kind}: ${v.message}`);
    lines.push(`  found after ${r.executions} executions (${r.steps} steps searched)`);
    lines.push(
      `  schedule: ${v.steps} steps, ${v.preemptions} preemptions (found with ${v.foundSteps} steps, then shrunk)`,
    );
    lines.push(`    ${v.schedule}`);
    lines.push(
      `  replay: smpsim explore ${r.model} --replay '${v.schedule}'${tracePath === undefined ? ' --trace out.json' : ''}`,
    );
    if (tracePath !== undefined) lines.push(`  trace: ${tracePath} (open in ui.perfetto.dev)`);
  } else {
    const scope = r.exhaustive
      ? r.bounded
        ? 'exhaustive within the preemption bound'
        : 'exhaustive: every interleaving, up to equivalence of independent steps'
      : 'not exhaustive: the budget ended the search';
    lines.unshift(`${head}: no violation in ${r.executions} executions (${r.steps} steps); ${scope}`);
  }
  if (r.pct !== null) {
    const p = r.pct;
    lines.push(
      `  PCT guarantee: each run finds a bug of depth ${p.depth} with probability >= 1/(n*k^(d-1)) = 1/(${p.agents}*${p.stepsK}^${p.depth - 1}) = ${short(p.perRun)}; ${r.executions} runs miss it with probability <= ${short(p.missAfterRuns)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatReplay(r: Replay, tracePath?: string): string {
  const width = Math.max(0, ...r.steps.map((s) => s.thread.length + s.agent.length + 3));
  const lines = r.steps.map(
    (s) => `  ${String(s.index).padStart(4)}  ${`${s.thread} (${s.agent})`.padEnd(width)}  ${s.what}`,
  );
  const verdict =
    r.violation === null ? 'no violation' : `VIOLATION ${r.violation.kind}: ${r.violation.message}`;
  const trace = tracePath === undefined ? '' : `\n  trace: ${tracePath}`;
  return `${r.model} (${r.cpus} CPUs, ${r.memory}) replayed, ${r.steps.length} steps:\n${lines.join('\n')}\n  ${verdict}\n  trace hash: ${r.traceHash}${trace}\n`;
}
