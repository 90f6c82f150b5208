/**
 * CPU hotplug under random load (kernel/hotplug.ts): random offline/online sequences on 8 CPUs
 * while random threads compute and sleep (some allowed only on a few CPUs). The kernel's
 * invariants run after every event (bootGuest turns them on), the offline-CPU ones included (no
 * context queued, no hrtimer, no vector on an offline CPU); after every step the online mask is
 * what the calls said, and every thread finishes all its rounds. A thread mprotects a mapping
 * all along under a random TLB protocol, so shootdowns meet CPUs going offline and parking
 * (kernel/hotplug-park.ts): none hangs, and a parked CPU is in no address space's set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Program } from '../../src/abi/effects.ts';
import { EBUSY, EPERM } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { errno } from '../../src/libc/errno.ts';
import { cpu_set_online } from '../../src/libc/hotplug.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { mmap_anonymous, mprotect } from '../../src/libc/sys.ts';
import { PROT_READ, PROT_WRITE } from '../../src/abi/syscalls.ts';
import { TLB_OPTIONS_DEFAULT, TLB_PROTOCOLS, type TlbProtocol } from '../../src/kernel/tlb/state.ts';
import { attrOnCpus } from '../../src/workloads/program.ts';
import { runGuest } from '../support/guest.ts';

const CPUS = 8;
const US = 1000;

interface Plan {
  seed: number;
  tlb: TlbProtocol;
  threads: { mask: number; computeUs: number; sleepUs: number; rounds: number }[];
  steps: { cpu: number; online: boolean; gapUs: number }[];
}

const plan: fc.Arbitrary<Plan> = fc.record({
  seed: fc.nat(1000),
  tlb: fc.constantFrom(...TLB_PROTOCOLS),
  threads: fc.array(
    fc.record({
      // Narrow masks on the low CPUs, which the steps take down, so queues build there.
      mask: fc.oneof(fc.constantFrom(0b100, 0b110, 0b1100, 0b1110), fc.integer({ min: 1, max: 255 })),
      computeUs: fc.integer({ min: 10, max: 400 }),
      sleepUs: fc.constantFrom(0, 50, 300),
      rounds: fc.integer({ min: 1, max: 10 }),
    }),
    { minLength: 4, maxLength: 16 },
  ),
  steps: fc.array(
    fc.record({
      cpu: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: CPUS - 1 })),
      online: fc.boolean(),
      gapUs: fc.integer({ min: 0, max: 500 }),
    }),
    { minLength: 1, maxLength: 12 },
  ),
});

const cpusOf = (mask: number) => Array.from({ length: CPUS }, (_, i) => i).filter((i) => (mask >> i) & 1);

function runPlan(p: Plan): void {
  let done = 0;
  const expected = p.threads.reduce((n, th) => n + th.rounds, 0);
  const problems: string[] = [];
  function* worker(t: Guest, raw: unknown): Program<number> {
    const th = raw as Plan['threads'][number];
    for (let i = 0; i < th.rounds; i++) {
      yield t.compute(th.computeUs * US * 3);
      if (th.sleepUs > 0) yield* sleep_ns(t, th.sleepUs * US);
      done++;
    }
    return 0;
  }
  let shot = 0;
  function* shooter(t: Guest, raw: unknown): Program<number> {
    const addr = raw as number;
    for (let i = 0; i < 20; i++) {
      yield* mprotect(t, addr, 2 * 4096, i % 2 === 0 ? PROT_READ : PROT_READ | PROT_WRITE);
      yield* sleep_ns(t, 100 * US);
      shot++;
    }
    return 0;
  }
  const r = runGuest(
    function* (t) {
      const tids: pthread_t[] = [];
      const addr = yield* mmap_anonymous(t, 2 * 4096);
      tids.push((yield* pthread_create(t, null, shooter, addr))[1]);
      for (const th of p.threads)
        tids.push((yield* pthread_create(t, attrOnCpus(cpusOf(th.mask)), worker, th))[1]);
      const online = new Array<number>(CPUS).fill(1);
      for (const step of p.steps) {
        yield* sleep_ns(t, step.gapUs * US + 1);
        const ok = (yield* cpu_set_online(t, step.cpu, step.online)) === 0;
        const last = !step.online && online[step.cpu] === 1 && online.filter((b) => b === 1).length === 1;
        const want = step.online ? 0 : last ? EBUSY : step.cpu === 0 ? EPERM : 0;
        const got = ok ? 0 : errno(t);
        if (got !== want) problems.push(`cpu ${step.cpu} online=${step.online}: errno ${got}, want ${want}`);
        if (ok) online[step.cpu] = step.online ? 1 : 0;
      }
      for (const tid of tids) yield* pthread_join(t, tid);
      return 0;
    },
    null,
    {
      policy: 'fair',
      cpus: CPUS,
      seed: p.seed,
      futex: { mode: 'linux', shards: 64 },
      tlb: { ...TLB_OPTIONS_DEFAULT, protocol: p.tlb },
    },
  );
  assert.equal(r.kernel.stopReason, null);
  assert.ok(r.kernel.finished, 'the root exited');
  assert.deepEqual(problems, []);
  assert.equal(done, expected, 'every round of every thread ran');
  assert.equal(shot, 20, 'every mprotect returned');
  assert.equal(r.kernel.hotplug.offlineTicks, 0);
}

test('hotplug property: random offline/online sequences keep the invariants and lose no work', () => {
  fc.assert(fc.property(plan, runPlan), { numRuns: 25, seed: 18 });
});
