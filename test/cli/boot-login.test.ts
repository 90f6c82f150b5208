/**
 * `smpsim boot --login` (SVC-8): bring-up, then both inits over the boot-to-login units up to
 * the login prompt, with the critical chain; the figures are the seed's own bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootCommand } from '../../src/cli/boot.ts';

test('boot --login: both inits reach login; improved is faster; the chain ends at login', () => {
  const out: string[] = [];
  const status = bootCommand({ cpus: '4', login: true, json: true }, (s) => out.push(s));
  assert.equal(status, 0);
  const doc = JSON.parse(out.join('')) as {
    boot: { totalNs: number; online: number[] };
    login: {
      init: string;
      booted: boolean;
      loginMs: number;
      criticalChain: string[];
      ready: [string, number][];
    }[];
  };
  assert.deepEqual(
    doc.login.map((r) => [r.init, r.booted]),
    [
      ['redox', true],
      ['improved', true],
    ],
  );
  const [redox, improved] = doc.login as [(typeof doc.login)[0], (typeof doc.login)[0]];
  // boot-to-login's bounds: improved 220..400 ms, redox 380 ms .. 10 s, after init's start.
  assert.ok(improved.loginMs >= 220 && improved.loginMs <= 400, `improved ${improved.loginMs}`);
  assert.ok(redox.loginMs >= 380 && redox.loginMs <= 10_000, `redox ${redox.loginMs}`);
  for (const r of doc.login) {
    assert.match(r.criticalChain[0]!, /^90_login\.service @\d+\.\d{3}s \+0\.010s$/);
    assert.equal(r.ready.at(-1)![0], '90_login_service', 'login is the last milestone');
  }
});

test('boot --login text: milestones on the bring-up clock and the total', () => {
  const out: string[] = [];
  bootCommand({ cpus: '2', login: true }, (s) => out.push(s));
  const text = out.join('');
  assert.match(text, /userspace: init starts at \d+\.\d{3} ms \(the last AP online\)/);
  assert.match(
    text,
    /init improved:[\s\S]*login in \d+\.\d{3} ms after init; boot to login \d+\.\d{3} ms in all/,
  );
  assert.match(text, /improved \/ redox boot to login: 0\.\d{3}/);
});

test('boot --units with a file that is not there: the one-line scenario error', () => {
  assert.throws(
    () => bootCommand({ cpus: '2', units: '/nonexistent/units.toml' }, () => {}),
    /\/nonexistent\/units\.toml/,
  );
});
