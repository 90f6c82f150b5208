/**
 * The `Libc` interface (src/libc/libc.ts, issue 13): both variant objects define every member
 * the interface has (LIBC_MEMBERS lists them, and the compiler holds that list to the
 * interface), no more; the process's environment selects its variant's object; and a public
 * call then runs the selected variant's member, seen in a guest's results.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENOENT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_OTHER, SCHED_RR } from '../../src/abi/sched.ts';
import { improvedLibc } from '../../src/libc/improved/index.ts';
import { type Libc, LIBC_MEMBERS } from '../../src/libc/libc.ts';
import { pthread_attr_init, pthread_attr_t, pthread_self } from '../../src/libc/pthread.ts';
import { pthread_attr_getschedpolicy, pthread_getcpuclockid } from '../../src/libc/pthread-sched.ts';
import { relibcLibc } from '../../src/libc/relibc/index.ts';
import { libcByName, libcOf } from '../../src/libc/select.ts';
import { LIBC_VARIANTS, libcEnv } from '../../src/libc/variant.ts';
import { runLibc } from '../support/libc.ts';

const OBJECTS: readonly Libc[] = [relibcLibc, improvedLibc];

test('both variants define every member of every group, and nothing the interface lacks', () => {
  for (const libc of OBJECTS) {
    const groups = Object.keys(libc).filter((k) => k !== 'name');
    assert.deepEqual(groups.sort(), Object.keys(LIBC_MEMBERS).sort(), `${libc.name}: its groups`);
    for (const [group, members] of Object.entries(LIBC_MEMBERS)) {
      const object = (libc as unknown as Record<string, Record<string, unknown>>)[group];
      assert.ok(object !== undefined, `${libc.name}.${group}`);
      assert.deepEqual(
        Object.keys(object).sort(),
        Object.keys(members).sort(),
        `${libc.name}.${group}: its members`,
      );
      for (const member of Object.keys(members)) {
        assert.notEqual(object[member], undefined, `${libc.name}.${group}.${member} is defined`);
      }
    }
  }
});

test('each variant name maps to the object that carries that name, and the two are distinct', () => {
  for (const name of LIBC_VARIANTS) assert.equal(libcByName(name).name, name);
  assert.notEqual(libcByName('relibc'), libcByName('improved'));
  // Where the algorithms differ the members are different functions, not one shared.
  assert.notEqual(relibcLibc.mutex.lock, improvedLibc.mutex.lock);
  assert.notEqual(relibcLibc.cond.signal, improvedLibc.cond.signal);
  assert.notEqual(relibcLibc.futex.waitUntil, improvedLibc.futex.waitUntil);
});

test('the environment selects the object: SMPSIM_LIBC names it, relibc when it names none', () => {
  const guest = (env: Record<string, string>) => ({ env }) as unknown as Guest;
  assert.equal(libcOf(guest(libcEnv('relibc'))), relibcLibc);
  assert.equal(libcOf(guest(libcEnv('improved'))), improvedLibc);
  assert.equal(libcOf(guest({})), relibcLibc);
  assert.throws(() => libcOf(guest({ SMPSIM_LIBC: 'musl' })), /not a libc variant/);
});

test('a public call runs the selected variant member: the attribute default and the CPU clock', () => {
  // relibc's default policy is SCHED_RR and its pthread_getcpuclockid is ENOENT (relibcLibc.sched);
  // glibc's are SCHED_OTHER and a clock (improvedLibc.sched).
  const seen: Record<string, [number, number]> = {};
  for (const variant of LIBC_VARIANTS) {
    runLibc(variant, function* (t) {
      const attr = new pthread_attr_t();
      pthread_attr_init(attr);
      seen[`${variant}.policy`] = pthread_attr_getschedpolicy(t, attr);
      seen[`${variant}.clock`] = pthread_getcpuclockid(t, pthread_self(t));
      yield t.compute(1);
    });
  }
  assert.deepEqual(seen['relibc.policy'], [0, SCHED_RR]);
  assert.deepEqual(seen['improved.policy'], [0, SCHED_OTHER]);
  assert.deepEqual(seen['relibc.clock'], [ENOENT, 0]);
  assert.equal(seen['improved.clock']?.[0], 0);
});
