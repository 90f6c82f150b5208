/**
 * The README's fidelity table (issue 23): a recorded `smpsim fidelity --json` result (under
 * bench/results/fidelity/) as markdown, so the README shows the figures the command printed and
 * a test checks that it still does.
 */
interface Recorded {
  host: { model: string; cpus: number };
  profile: string | null;
  points: {
    shape: string;
    workers: number;
    host_ns: number;
    sim_ns: number;
    time_error: number;
    host_speedup: number;
    sim_speedup: number;
    speedup_error: number;
  }[];
  pingpong: { cpus: number; host_ns_per_handoff: number; sim_ns_per_handoff: number; time_error: number }[];
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const ms = (ns: number) => (ns / 1e6).toFixed(1);

export function fidelityMarkdown(defaults: Recorded, profiled: Recorded): string {
  const rows = profiled.points.map((p, i) => {
    const d = defaults.points[i]!;
    return `| ${p.shape} | ${p.workers} | ${ms(p.host_ns)} | ${ms(d.sim_ns)} (${pct((d.sim_ns - p.host_ns) / p.host_ns)}) | ${ms(p.sim_ns)} (${pct(p.time_error)}) | ${p.host_speedup.toFixed(2)} | ${p.sim_speedup.toFixed(2)} (${pct(p.speedup_error)}) |`;
  });
  const pp = profiled.pingpong.map(
    (p) =>
      `| futex ping-pong, ${p.cpus} CPU${p.cpus === 1 ? '' : 's'} | ${(p.host_ns_per_handoff / 1000).toFixed(2)} µs | ${(p.sim_ns_per_handoff / 1000).toFixed(2)} µs (${pct(p.time_error)}) |`,
  );
  return [
    '| primes < 2·10^7 | workers = CPUs | host ms | smpsim ms, default costs | smpsim ms, host profile | host speedup | smpsim speedup (profile) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '| hand-off | host | smpsim (profile) |',
    '| --- | ---: | ---: |',
    ...pp,
  ].join('\n');
}
