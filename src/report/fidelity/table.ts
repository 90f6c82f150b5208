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

interface RecordedSync {
  mutex: {
    cpus: number;
    threads: number;
    iterations: number;
    cs_cycles: number;
    outside_cycles: number;
    host_ns: number;
    sim_ns: number;
    time_error: number;
    host_speedup: number;
    sim_speedup: number;
    speedup_error: number;
    host_futex_waits: number;
    sim_futex_waits: number;
  }[];
  condherd: {
    cpus: number;
    waiters: number;
    host_ns_per_round: number;
    sim_ns_per_round: number;
    time_error: number;
  }[];
  schbench: {
    cpus: number;
    messages: number;
    workers: number;
    host_p50_ns: number;
    sim_p50_ns: number;
    p50_error: number;
    host_p99_ns: number;
    sim_p99_ns: number;
    p99_error: number;
  }[];
}

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;
const cpusOf = (n: number) => `${n} CPU${n === 1 ? '' : 's'}`;

/** The README's second fidelity table: the mutex loop, the condvar herd and schbench, one recorded run. */
export function syncFidelityMarkdown(r: RecordedSync): string {
  const mutex = r.mutex.map(
    (p) =>
      `| mutex loop, ${p.threads} threads × ${p.iterations}, ${p.cs_cycles} cycles in, ${p.outside_cycles} out | ${cpusOf(p.cpus)} | ${ms(p.host_ns)} ms | ${ms(p.sim_ns)} ms (${pct(p.time_error)}) | ${p.host_speedup.toFixed(2)} → ${p.sim_speedup.toFixed(2)} (${pct(p.speedup_error)}) | ${p.host_futex_waits} / ${p.sim_futex_waits} |`,
  );
  const herd = r.condherd.map(
    (p) =>
      `| condvar herd, ${p.waiters} waiters, per round | ${cpusOf(p.cpus)} | ${us(p.host_ns_per_round)} | ${us(p.sim_ns_per_round)} (${pct(p.time_error)}) | | |`,
  );
  const sb = r.schbench.flatMap((p) =>
    (['p50', 'p99'] as const).map((q) => {
      const [host, sim, err] =
        q === 'p50' ? [p.host_p50_ns, p.sim_p50_ns, p.p50_error] : [p.host_p99_ns, p.sim_p99_ns, p.p99_error];
      return `| schbench ${p.messages}×${p.workers}, wakeup ${q} | ${cpusOf(p.cpus)} | ${us(host)} | ${us(sim)} (${pct(err)}) | | |`;
    }),
  );
  return [
    '| workload | CPUs | host | smpsim (profile) | speedup host → smpsim | futex waits host / smpsim |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...mutex,
    ...herd,
    ...sb,
  ].join('\n');
}
