/**
 * `smpsim trace-check FILE`: exit 0 and the counts for a valid trace, 1 and the problems for an
 * invalid one, 2 and one line for a file that cannot be read or is not JSON.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'smpsim-trace-check-'));

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { status, out, err };
}

const NAMED = [
  { name: 'process_name', ph: 'M', pid: 1, tid: 1, args: { name: 'p' } },
  { name: 'thread_name', ph: 'M', pid: 1, tid: 2, args: { name: 't' } },
];

test('trace-check passes a valid file and counts what it holds', async () => {
  const file = join(dir, 'ok.json');
  const slice = { name: 'a', ph: 'X', pid: 1, tid: 2, ts: 1, dur: 2 };
  writeFileSync(file, JSON.stringify({ traceEvents: [...NAMED, slice] }));
  const r = await run(['trace-check', file]);
  assert.equal(r.status, 0);
  assert.equal(
    r.out,
    `${file}: valid\n  3 events on 1 tracks: 1 slices, 0 flows, 0 counter samples, 0 instants, 2 metadata\n`,
  );
  const j = JSON.parse((await run(['trace-check', file, '--json'])).out);
  assert.equal(j.schema, 'smpsim.trace-check/1');
  assert.equal(j.ok, true);
});

test('trace-check lists the problems of an invalid file and exits 1', async () => {
  const file = join(dir, 'bad.json');
  const a = { name: 'a', ph: 'X', pid: 1, tid: 2, ts: 1, dur: 5 };
  const b = { name: 'b', ph: 'X', pid: 1, tid: 2, ts: 3, dur: 1 };
  writeFileSync(file, JSON.stringify({ traceEvents: [...NAMED, a, b] }));
  const r = await run(['trace-check', file]);
  assert.equal(r.status, 1);
  assert.match(r.out, /INVALID, 1 problem\n/);
  assert.match(r.out, /track 1\/2: slice "b" at 3 overlaps "a" \[1, 6\]/);
});

test('trace-check refuses a missing file or one that is not JSON, in one line, exit 2', async () => {
  const missing = join(dir, 'missing.json');
  const r = await run(['trace-check', missing]);
  assert.equal(r.status, 2);
  assert.equal(
    r.err,
    `smpsim: ${missing}: cannot read the file (ENOENT) (allowed: a trace file written by run --trace)\n`,
  );
  const text = join(dir, 'text.json');
  writeFileSync(text, 'not json');
  const t = await run(['trace-check', text]);
  assert.equal(t.status, 2);
  assert.match(t.err, /^smpsim: .*text\.json: not JSON: .* \(allowed: Chrome trace-event JSON\)\n$/);
});
