// `smpsim boot`: the timeline per CPU, the possible and online sets, JSON, and one-line errors.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { bootCommand } from '../../src/cli/boot.ts';
import { smpsim } from '../support/cli.ts';

test('boot prints each AP with its INIT, two SIPIs, callin and online, and the sets', async () => {
  const r = await smpsim('boot', '--cpus', '4', '--protocol', 'linux', '--inject', '2:no-answer');
  assert.equal(r.status, 0);
  assert.match(r.out, /^linux bring-up: 3\/4 CPUs online in /);
  assert.match(r.out, /\n2 +2 +[\d.]+ +[\d.]+,[\d.]+ +- +- +failed \(no callin within 10 s\)\n/);
  assert.match(r.out, /possible: 0,1,2,3\nonline: +0,1,3\n/);
});

test('boot --json gives the report with its per-CPU records and the parser findings', async () => {
  const r = await smpsim('boot', '--cpus', '4', '--protocol', 'redox', '--json');
  assert.equal(r.status, 0);
  const doc = JSON.parse(r.out) as { schema: string; boot: { online: number[]; halfInitialised: number } };
  assert.equal(doc.schema, 'smpsim.boot/1');
  assert.deepEqual(doc.boot.online, [0, 1, 2, 3]);
  assert.equal(doc.boot.halfInitialised, 3); // K2: each AP taken as up before its init
});

test('a bad fault or CPU is bad input naming the flag', async () => {
  const bad = await smpsim('boot', '--cpus', '4', '--inject', '9:dies');
  assert.equal(bad.status, 2);
  assert.match(bad.err, /--inject: 9 is out of range/);
  const missing = await smpsim('boot');
  assert.equal(missing.status, 2);
  assert.match(missing.err, /--cpus: required/);
});

test('smpsim boot --tables DIR boots the fixture machine; a contradicting --cpus is a usage error', () => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'acpi', 'smpsim-8cpu-2node');
  const out: string[] = [];
  assert.equal(
    bootCommand({ tables: dir, json: true }, (s) => out.push(s)),
    0,
  );
  const r = JSON.parse(out.join(''));
  // The fixture has 8 enabled CPUs and 2 hot-plug slots (fixtures/acpi/README.md).
  assert.deepEqual(r.boot.online, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.throws(() => bootCommand({ tables: dir, cpus: '4' }, () => {}), /--cpus: .* gives 8, --cpus says 4/);
});
