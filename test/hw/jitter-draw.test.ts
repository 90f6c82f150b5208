// The compute jitter draw (hw/cpu.ts #startCompute): under the plain PrngDecider a CPU draws it
// from the decider's PRNG directly (issue 14); under any other decider it asks `choose(Jitter)`.
// Both must be the same draw in the same order: a run through a RecordingDecider wrapping the
// same PrngDecider takes the other path and must be the same run, hash and figures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChoiceKind, PrngDecider, RecordingDecider } from '../../src/engine/decider.ts';
import { Prng } from '../../src/engine/prng.ts';
import { buildMachine } from '../../src/machine/build.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';

function spinRun(decider: PrngDecider | RecordingDecider) {
  const config = defaultRunConfig('fair', 4);
  config.name = 'jitter-draw';
  config.seed = 7;
  config.workloads = [{ kind: 'spin', threads: 6, iterations: 400, cycles: 30_000 }];
  const machine = buildMachine(config, { decider });
  machine.board.engine.run(config.limits);
  assert.ok(machine.kernel.finished, 'the spin run finishes');
  const cpus = machine.board.cpus;
  return {
    hash: machine.board.trace.hex(),
    simNs: machine.board.engine.nowNs,
    userNs: cpus.map((c) => c.userNs),
    effects: cpus.map((c) => c.effects),
  };
}

test('the direct jitter draw is the draw choose(Jitter) makes: the same run either way', () => {
  const direct = spinRun(new PrngDecider(new Prng(7)));
  const recorder = new RecordingDecider(new PrngDecider(new Prng(7)));
  const viaChoose = spinRun(recorder);
  assert.deepEqual(viaChoose, direct);
  // The recorded run did go through choose: one Jitter choice per compute burst at least.
  let jitters = 0;
  for (let i = 0; i < recorder.choices.length; i += 3)
    if (recorder.choices[i] === ChoiceKind.Jitter) jitters++;
  assert.ok(jitters >= 6 * 400, `jitter choices ${jitters}`);
  // And the jitter is there to see: another seed's PRNG gives another run.
  assert.notEqual(spinRun(new PrngDecider(new Prng(8))).hash, direct.hash);
});
