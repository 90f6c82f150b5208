// The tick and what defers it: TSC-deadline tickless operation (HW-12), preempt-lock sections
// that defer a tick's preemption to the moment the last lock drops, and the switch lock
// released on the unwinding path of a kernel fault taken inside a switch (SCHED-9).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { releasePreemptLock } from '../../../src/kernel/tick.ts';
import { preemptDisable } from '../../../src/kernel/tick.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../../src/libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../../../src/libc/time.ts';
import { SCHED_POLICIES } from '../../../src/machine/config.ts';
import { VEC_IPI_SWITCH } from '../../../src/hw/vectors.ts';
import { atTime, bootGuest, runGuest } from '../../support/guest.ts';

function* spin(t: Guest, chunks: number): Program<number> {
  for (let i = 0; i < chunks; i++) yield t.compute(300_000);
  return 0;
}

for (const policy of SCHED_POLICIES) {
  test(`${policy}: with a TSC-deadline tick a halted CPU gets no tick; a periodic LAPIC ticks it 1000 times a second`, () => {
    const idleTicks: Record<string, number> = {};
    for (const tick of ['lapic', 'tsc-deadline'] as const) {
      // One thread sleeps 10 × 10 ms on a 4-CPU machine: three CPUs are idle throughout.
      const run = runGuest(
        function* (t) {
          for (let i = 0; i < 10; i++) {
            yield* sleep_ns(t, 10_000_000);
            yield* spin(t, 1);
          }
          return 0;
        },
        null,
        { policy, cpus: 4, tick },
      );
      assert.equal(run.kernel.finished, true);
      idleTicks[tick] = run.kernel.stats.idleTicks;
    }
    // About 101 ms on 4 CPUs at 1000 Hz, nearly all of it idle: ~400 ticks on halted CPUs.
    assert.ok(idleTicks.lapic! > 380, `lapic: ${idleTicks.lapic}`);
    // Tickless: only the sleeper's 10 timeouts wake a halted CPU (dwrr and redbear wake every
    // halted CPU whose deadline was the earliest timeout; fair only the one that armed it).
    assert.ok(idleTicks['tsc-deadline']! <= 40, `tsc-deadline: ${idleTicks['tsc-deadline']}`);
    assert.ok(idleTicks['tsc-deadline']! >= 10, 'each timeout still takes a tick');
  });

  test(`${policy}: a tick during a preempt-locked section defers the switch until the lock drops`, () => {
    // One CPU, two CPU-bound threads. The harness puts the running thread in a preempt-locked
    // section from 30 ms to 70 ms (a kernel path holding a PreemptGuard); no switch happens in
    // that window however many quanta end in it, and the deferred switch follows the release.
    const switchTimes: number[] = [];
    const machine = bootGuest(
      function* (t) {
        const threads: pthread_t[] = [];
        for (let i = 0; i < 2; i++) {
          threads.push(
            (yield* pthread_create(
              t,
              null,
              function* (g: Guest): Program<number> {
                // Short compute chunks with a system call between: each return to user mode is
                // where a pending reschedule is taken.
                for (let k = 0; k < 15_000; k++) {
                  yield g.compute(30_000);
                  yield* clock_gettime_ns(g);
                }
                return 0;
              },
              null,
            ))[1],
          );
        }
        for (const th of threads) yield* pthread_join(t, th);
        return 0;
      },
      null,
      { policy, cpus: 1, costs: { computeJitterPpm: 0 } },
    );
    const k = machine.kernel;
    const cpu = machine.board.cpus[0]!;
    let locked: ReturnType<typeof k.threads.get>;
    atTime(machine, 30_000_000, () => {
      locked = k.threads.get(cpu.current.id);
      assert.ok(locked !== undefined, 'a thread is running at 30 ms');
      preemptDisable(locked);
    });
    atTime(machine, 70_000_000, () => {
      assert.equal(releasePreemptLock(k, cpu, locked!), true, 'a switch was deferred');
      cpu.lapic.accept(VEC_IPI_SWITCH); // the test stands in for the guard's drop on the CPU
    });
    k.switchListeners.push((_cpu, _prev, next) => {
      if (next.id >= 2) switchTimes.push(machine.board.engine.nowNs);
    });
    machine.board.engine.run({ simNsMax: 2_000_000_000, eventsMax: 2_000_000 });
    assert.equal(k.finished, true);
    const inWindow = switchTimes.filter((ns) => ns > 30_000_000 && ns < 70_000_000);
    assert.deepEqual(inWindow, []);
    assert.ok(k.stats.preemptionsDeferred >= 1);
    assert.equal(k.stats.deferredPreemptionsRun, 1);
    const after = switchTimes.find((ns) => ns >= 70_000_000)!;
    assert.ok(
      after - 70_000_000 < 50_000,
      `the deferred switch came ${after - 70_000_000} ns after the release`,
    );
  });

  test(`${policy}: a kernel fault inside a switch releases the switch lock and the CPUs keep scheduling`, () => {
    const work = function* (t: Guest): Program<number> {
      const threads: pthread_t[] = [];
      for (let i = 0; i < 4; i++) {
        threads.push(
          (yield* pthread_create(
            t,
            null,
            function* (g: Guest): Program<number> {
              for (let k = 0; k < 20; k++) {
                yield* sleep_ns(g, 1_000_000);
                yield* spin(g, 5);
              }
              return 0;
            },
            null,
          ))[1],
        );
      }
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    };
    const faults = [5, 40, 41, 150]; // 41 is the retry of 40: a fault on the retry too
    const run = runGuest(work, null, { policy, cpus: 2, injectSwitchFaults: faults });
    assert.equal(run.kernel.finished, true, 'every thread finished after the faults');
    assert.equal(run.kernel.stats.switchFaults, faults.length);
    const clean = runGuest(work, null, { policy, cpus: 2 });
    // The faults cost a retried switch each, nothing more: the same switches within a few.
    const switches = (r: typeof run) => r.kernel.stats.switches.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(switches(run) - switches(clean)) <= 20, `${switches(run)} vs ${switches(clean)}`);
  });
}
