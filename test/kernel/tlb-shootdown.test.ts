// The shootdown protocols and their fault injection (kernel/tlb/, issue 15 stages 3-4): a
// skipped target flush under redox leaves a stale entry the probe's kernel read goes through
// (detected, with CPU, address and frames); a lost IPI hangs Redox's initiator, which has no
// timeout (K16), and the run reports it as a deadlock instead of hanging; Linux with a timeout
// logs the silent CPU and carries on; the scenario fields refuse what they do not allow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConfig } from '../../src/report/run.ts';
import { ScenarioError } from '../../src/scenario/errors.ts';
import { parseScenario } from '../../src/scenario/load.ts';

function scenario(kernel: string, workload: string, extra = ''): string {
  return `name = "t"\nseed = 1\n[machine]\ncpus = 4\n[kernel]\nscheduler = "fair"\n${kernel}\n${extra}\n[[workload]]\nkind = "program"\nprogram = "tlbstress"\n${workload}\n`;
}

const RACE = 'mode = "race"\nowners = 2\nthreads = 2\npages = 2\niterations = 3';
const MPROTECT = 'mode = "mprotect"\nthreads = 3\npages = 4\niterations = 5';

test('tlb: redox with one target flush skipped: the stale entry is read and reported', () => {
  // One owner, so each probe's CPU gets one flush per round: skipping it keeps the old entries.
  const race1 = RACE.replace('owners = 2', 'owners = 1');
  const config = parseScenario(scenario('tlb = "redox"', race1, '[faults]\ntlb_skip_flush = [6]'), 't.toml');
  const report = runConfig(config);
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['tlb.skipped_flushes'], 1);
  const stale = report.metrics['tlb.stale_reads']!;
  assert.ok(stale >= 1, `a stale read was detected (${stale})`);
  assert.ok(report.metrics['workload.tlbstress.stale_answers']! >= 1);
  // Reported with the CPU (a probe's: 1 or 2), the page, the freed frame and what maps it now.
  const first = report.tlb_stale_reads![0]!;
  assert.ok(first.cpu === 1 || first.cpu === 2, `probe CPU, got ${first.cpu}`);
  assert.equal(first.vaddr % 4096, 0);
  assert.ok(first.stale_frame > 0);
  assert.equal(first.current_frame, -1, 'the page is unmapped: nothing maps it now');
});

test('tlb: the same run without the fault reads nothing stale, and every probe read is EFAULT', () => {
  const report = runConfig(parseScenario(scenario('tlb = "redox"', RACE), 't.toml'));
  assert.equal(report.metrics['tlb.stale_reads'], 0);
  assert.equal(report.metrics['workload.tlbstress.efaults'], 3 * 2 * 2 * 2); // rounds x owners x pages x probes
});

test('tlb: a lost IPI hangs the redox initiator (K16); the run stops and says so', () => {
  const text = scenario(
    'tlb = "redox"',
    MPROTECT,
    '[outcome]\nends = "deadlock"\n[faults]\ntlb_drop_ipi = [4]',
  );
  const report = runConfig(parseScenario(text, 't.toml'));
  assert.match(report.error ?? '', /^deadlock: a TLB shootdown hung \(K16\): CPU 0 waited 50 ms for CPU \d/);
  assert.equal(report.metrics['tlb.dropped_ipis'], 1);
  assert.equal(report.metrics['run.deadlocked'], 1);
});

test('tlb: linux with a timeout logs the CPU that did not answer and carries on', () => {
  const text = scenario('tlb = "linux"\ntlb_timeout_us = 100', MPROTECT, '[faults]\ntlb_drop_ipi = [4]');
  const report = runConfig(parseScenario(text, 't.toml'));
  assert.equal(report.error, undefined);
  assert.equal(report.metrics['tlb.timeouts'], 1);
  assert.equal(report.tlb_timeouts![0]!.initiator, 0, 'the mprotecting main thread on CPU 0');
  assert.equal(report.metrics['tlb.stale_reads'], 0);
});

test('tlb: scenario fields name the field and what is allowed', () => {
  const bad =
    (kernel: string, extra = '') =>
    () =>
      parseScenario(scenario(kernel, MPROTECT, extra), 'b.toml');
  assert.throws(
    bad('tlb = "x86"'),
    (e: unknown) => e instanceof ScenarioError && /kernel\.tlb.*ideal, redox, redbear, linux/.test(e.message),
  );
  assert.throws(
    bad('tlb = "redox"\ntlb_timeout_us = 5'),
    /kernel\.tlb_timeout_us: the redox protocol has no timeout/,
  );
  assert.throws(bad('pcid = 1'), /kernel\.pcid: expected a boolean/);
  assert.throws(bad('', '[faults]\ntlb_drop_ipi = [0]'), /faults\.tlb_drop_ipi\.0/);
  assert.throws(bad('', '[faults]\nnope = 1'), /faults/);
});
