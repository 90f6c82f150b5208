// `smpsim explore` through main(): exit 1 when a violation is found (with a schedule that
// --replay accepts), 0 when none exists within the bound (saying whether it was exhaustive), 2
// on bad input with a one-line message naming the flag; --list names the models; --json parses.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';

async function smpsim(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

test('a buggy model exits 1 with a schedule that replays to the same violation', async () => {
  const found = await smpsim('explore', 'k1', '--json');
  assert.equal(found.status, 1);
  const report = JSON.parse(found.out);
  assert.equal(report.violation.kind, 'duplicate-cpu-id');
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-explore-'));
  const trace = join(dir, 'k1.json');
  const replay = await smpsim('explore', 'k1', '--replay', report.violation.schedule, '--trace', trace);
  assert.equal(replay.status, 1);
  assert.match(replay.out, /VIOLATION duplicate-cpu-id/);
  assert.ok(JSON.parse(readFileSync(trace, 'utf8')).traceEvents.length > report.violation.steps);
});

test('a fixed model exits 0 and says the search was exhaustive', async () => {
  const r = await smpsim('explore', 'k1-fixed', '--cpus', '4');
  assert.equal(r.status, 0);
  assert.match(r.out, /no violation in 6 executions .*exhaustive: every interleaving/);
});

test('PCT prints its guarantee; a budget that ends the search is not exhaustive', async () => {
  const r = await smpsim('explore', 'k2-fixed', '--strategy', 'pct', '--budget', '5');
  assert.equal(r.status, 0);
  assert.match(r.out, /not exhaustive/);
  assert.match(
    r.out,
    /PCT guarantee: each run finds a bug of depth 3 with probability >= 1\/\(n\*k\^\(d-1\)\)/,
  );
});

test('bad input exits 2 with one line naming the flag', async () => {
  for (const [argv, pattern] of [
    [['explore', 'nope'], /^smpsim: TARGET: "nope" is not a built-in model/],
    [
      ['explore', 'k1', '--memory', 'arm'],
      /^smpsim: --memory: "arm" is not allowed \(allowed: sc, tso, pso\)/,
    ],
    [['explore', 'k1', '--cpus', '99'], /^smpsim: --cpus: 99 is out of range/],
    [['explore', 'k1', '--replay', 'k1@5:sc:1'], /^smpsim: --replay: step 0/],
    [['explore', 'k1', '--timing', 'model', '--strategy', 'dpor'], /^smpsim: --timing: model: DPOR's/],
    [['explore', 'k1', '--timing', 'fast'], /^smpsim: --timing: "fast" is not allowed/],
    [['explore', 'prog.ts'], /prog\.ts: the guest program module does not exist/],
    [['explore', 'k1', '--set', 'machine.cpus=2'], /^smpsim: --set: a built-in model has no scenario fields/],
    [['explore', 'missing.toml'], /missing.toml/],
  ] as const) {
    const r = await smpsim(...argv);
    assert.equal(r.status, 2, argv.join(' '));
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});

test('--list names every model scripts rely on', async () => {
  const r = await smpsim('explore', '--list', '--json');
  assert.equal(r.status, 0);
  const names = JSON.parse(r.out).models.map((m: { name: string }) => m.name);
  for (const n of ['k1', 'k1-fixed', 'k3-one-word', 'k4-fixed', 'condvar-lost-wakeup', 'dekker-fenced']) {
    assert.ok(names.includes(n), n);
  }
});
