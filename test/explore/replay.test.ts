// Counterexamples: every buggy model's schedule string replays bit for bit (the same violation,
// the same trace hash twice), shrinking never grows a schedule (fast-check over seeds), and a
// schedule string survives encode/parse. A schedule that does not fit the model is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explore, setupFor } from '../../src/explore/explore.ts';
import { newPrng, randomChooser } from '../../src/explore/random-walk.ts';
import { findModel, MODELS } from '../../src/explore/registry.ts';
import { replayChromeTrace, replaySchedule } from '../../src/explore/replay.ts';
import { runOnce } from '../../src/explore/run.ts';
import { encodeSchedule, parseSchedule, ScheduleError } from '../../src/explore/schedule.ts';
import { shrink } from '../../src/explore/shrink.ts';

for (const m of MODELS.filter((x) => x.buggy)) {
  test(`${m.name}: its counterexample replays to the same violation and trace hash`, () => {
    const r = explore({
      model: m,
      cpus: m.cpus,
      memory: m.memory,
      strategy: 'dpor',
      depth: 3,
      budget: 1000,
      seed: 1,
      preemptionBound: -1,
      shrink: true,
    });
    const v = r.violation!;
    const a = replaySchedule(m, v.schedule);
    const b = replaySchedule(m, v.schedule);
    assert.equal(a.violation?.kind, v.kind);
    assert.equal(a.violation?.message, v.message);
    assert.equal(a.steps.length, v.steps);
    assert.equal(a.traceHash, b.traceHash);
    assert.match(a.traceHash, /^[0-9a-f]{16}$/);
    const trace = replayChromeTrace(a) as { traceEvents: { ph: string }[] };
    assert.equal(trace.traceEvents.filter((e) => e.ph === 'X').length, v.steps);
  });
}

test('different schedules of one model give different trace hashes', () => {
  const m = findModel('k1-stand-in')!;
  const a = replaySchedule(m, 'k1-stand-in@3:sc:1*3.2*3.0');
  const b = replaySchedule(m, 'k1-stand-in@3:sc:2*3.1*3.0');
  assert.notEqual(a.traceHash, b.traceHash);
});

test('a schedule that does not fit the model is refused with the step it fails at', () => {
  const m = findModel('k1')!;
  assert.throws(() => replaySchedule(m, 'k1@3:sc:1'), ScheduleError); // the AP awaits its SIPI: not enabled
  assert.throws(() => replaySchedule(m, 'k2@3:sc:1'), /for k2, not k1/);
  assert.throws(() => replaySchedule(m, 'k1@3:sc:9'), /not an agent/);
  assert.throws(() => replaySchedule(m, 'k1:3'), ScheduleError);
});

test('shrinking never grows a schedule, in steps or preemptions', () => {
  const models = ['k3', 'k3-one-word', 'condvar-lost-wakeup', 'k4', 'dekker'].map((n) => findModel(n)!);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10_000 }),
      fc.integer({ min: 0, max: models.length - 1 }),
      (seed, which) => {
        const m = models[which]!;
        const setup = setupFor(m, m.cpus, m.memory);
        const prng = newPrng(seed);
        for (let i = 0; i < 300; i++) {
          const r = runOnce(setup, randomChooser(prng));
          if (r.violation === null) continue;
          const s = shrink(setup, r.schedule, r.violation.kind, 300);
          assert.ok(s.schedule.length <= r.schedule.length);
          assert.ok(s.preemptions <= r.preemptions, `${s.preemptions} > ${r.preemptions}`);
          return;
        }
      },
    ),
    { numRuns: 15 },
  );
});

test('schedule strings survive encode and parse', () => {
  const m = findModel('k4')!;
  const setup = setupFor(m, 3, 'pso');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
      const r = runOnce(setup, randomChooser(newPrng(seed)));
      const text = encodeSchedule({ model: 'k4', cpus: 3, memory: 'pso' }, setup.agents, r.schedule);
      const { header, tokens } = parseSchedule(text);
      assert.deepEqual(header, { model: 'k4', cpus: 3, memory: 'pso' });
      assert.deepEqual(
        tokens.map((t) => setup.agents.parse(t)),
        r.schedule,
      );
    }),
    { numRuns: 50 },
  );
});
