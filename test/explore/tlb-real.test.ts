// K3 on the kernel's own shootdown code (issue 17, HW-9): `k3` runs kernel/tlb/redbear.ts and
// DPOR finds the overwritten mailbox (two initiators' stores to CPU 0's word before it takes one,
// then a stale translation of the first initiator's page); `k3-fixed` (redbear-fixed: CAS from 0,
// cleared after the flush) and `k3-linux` (linux.ts's csd queue) pass exhaustively. On the
// machine, `tlb = "redbear-fixed"` keeps the tlb-k3-race workload free of stale reads, every
// probe read after an unmap answered EFAULT, as under Linux.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../../src/explore/explore.ts';
import { findModel } from '../../src/explore/registry.ts';
import { replaySchedule } from '../../src/explore/replay.ts';
import { runConfig } from '../../src/report/run.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function search(name: string, budget = 5000, cpus = 3) {
  const m = findModel(name)!;
  const r = explore({
    model: m,
    cpus,
    memory: m.memory,
    strategy: 'dpor',
    depth: 3,
    budget,
    seed: 1,
    preemptionBound: -1,
    shrink: true,
  });
  return { m, r };
}

test('k3: the real Red Bear code loses a request: a second store to the unread mailbox, then a stale entry', () => {
  const { m, r } = search('k3');
  assert.equal(r.found, true);
  const v = r.violation!;
  assert.equal(v.kind, 'stale-tlb');
  assert.match(
    v.message,
    /^CPU \d reads page 0x40[12] through a stale translation \(frame 1(29|30)\) after CPU [12]'s/,
  );
  const steps = replaySchedule(m, v.schedule).steps.map((s) => `${s.thread}: ${s.what}`);
  // Some CPU's mailbox is stored by both initiators with no exchange (the target taking it) between.
  const overwritten = [0, 1, 2].some((c) => {
    const box = `mailbox[${c}]`;
    const ops = steps.filter((s) => s.includes(`store ${box} =`) || s.includes(`Exchange ${box}:`));
    return ops.some((s, i) => s.includes('store') && ops[i + 1]?.includes('store'));
  });
  assert.ok(overwritten, steps.join('\n'));
});

// k3-fixed and k3-linux pass DPOR exhaustively with 3 CPUs in models.test.ts (every fixed model).

test('k3-fixed with 2 CPUs: one initiator, one probe, every order of their steps is fine', () => {
  const { r } = search('k3-fixed', 1000, 2);
  assert.equal(r.found, false);
  assert.equal(r.exhaustive, true);
});

test('machine: tlb = "redbear-fixed" on the K3 race workload reads nothing stale; every read is EFAULT', () => {
  const text = [
    'name = "t"\nseed = 1\n[machine]\ncpus = 4\n[kernel]\nscheduler = "fair"\ntlb = "redbear-fixed"',
    '[[workload]]\nkind = "program"\nprogram = "tlbstress"\nmode = "race"\nowners = 2\nthreads = 2\npages = 2\niterations = 20',
  ].join('\n');
  const report = runConfig(parseScenario(text, 't.toml'));
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['tlb.stale_reads'], 0);
  const racy = runConfig(parseScenario(text.replace('redbear-fixed', 'redbear'), 't.toml'));
  assert.ok(racy.metrics['tlb.stale_reads']! >= 1, 'the patches as written lose a flush here');
  // 20 rounds x 2 owners x 2 pages x 2 probes, as the seed's linux and redox compares.
  assert.equal(report.metrics['workload.tlbstress.efaults'], 160);
});
