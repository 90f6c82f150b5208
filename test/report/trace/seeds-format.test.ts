/**
 * The format test over every seed scenario (issue 21): each seed runs with the trace on for its
 * first SIM_NS_MAX of simulated time (a short window of the long ones: the format, not the
 * figures, is under test) and its file must pass trace-check's rules (report/trace/check.ts):
 * valid JSON, per-track time order, no negative durations, no overlapping slices on a track,
 * flows bound to existing slices at both ends, numeric counters, names for every track.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildMachine } from '../../../src/machine/build.ts';
import { ChromeTraceRecorder } from '../../../src/report/chrome-trace.ts';
import { checkTrace } from '../../../src/report/trace/check.ts';
import { loadScenarioFile } from '../../../src/scenario/load.ts';

const SEEDS = join(import.meta.dirname, '..', '..', '..', 'scenarios', 'seeds');
/** Simulated time traced per seed: 20 ms holds boots, first wakeups and a few ticks of each. */
const SIM_NS_MAX = 20_000_000;
const EVENTS_MAX = 2_000_000;

const dir = mkdtempSync(join(tmpdir(), 'smpsim-trace-format-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const file of readdirSync(SEEDS)
  .filter((f) => f.endsWith('.toml'))
  .sort()) {
  test(`the trace of ${file} passes trace-check`, () => {
    const config = loadScenarioFile(join(SEEDS, file));
    const machine = buildMachine(config, {});
    const path = join(dir, `${file}.json`);
    const recorder = new ChromeTraceRecorder(machine.kernel, path);
    const simNsMax = Math.min(config.limits.simNsMax, SIM_NS_MAX);
    let reason = 'error';
    try {
      reason = machine.board.engine.run({
        simNsMax,
        eventsMax: Math.min(config.limits.eventsMax, EVENTS_MAX),
      });
    } catch (error) {
      // A seed whose run faults on purpose still leaves a trace to check; anything else fails below.
      reason = `error: ${(error as Error).message}`;
    }
    const summary = recorder.finish(reason);
    const result = checkTrace(JSON.parse(readFileSync(path, 'utf8')));
    assert.deepEqual(result.errors, [], `${file}: ${result.problems} problems`);
    assert.ok(result.ok);
    assert.equal(result.events, summary.events + (summary.message === null ? 0 : 1));
    assert.equal(result.flows, summary.flows);
    // Every seed runs guest threads on CPUs: slices and named tracks for each CPU at least.
    assert.ok(result.slices >= machine.kernel.cpus.length, `${file}: ${result.slices} slices`);
    rmSync(path);
  });
}
