// `perf bench sched pipe` (src/workloads/sched-pipe.ts): perf's output lines, exact syscall
// counts (every loop is one 4-byte write and one read per side), and the round trip bound that
// one CPU forces (each op switches to the other task and back).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYS_READ, SYS_WRITE } from '../../src/abi/syscalls.ts';
import { SCHED_PIPE, schedPipeText } from '../../src/workloads/sched-pipe.ts';
import { runProgram } from '../support/program-run.ts';

test('perf prints total time in ms, usecs/op = us / loops and ops/sec = loops / s, truncated', () => {
  // perf's well-known run: 1000000 loops in 5855061 us.
  assert.deepEqual(schedPipeText(1_000_000, false, 5_855_061_400), [
    "# Running 'sched/pipe' benchmark:",
    '# Executed 1000000 pipe operations between two processes',
    '',
    '    Total time: 5.855 [sec]',
    '',
    '      5.855061 usecs/op',
    '        170792 ops/sec',
  ]);
  assert.equal(schedPipeText(10, true, 2_001_000)[1], '# Executed 10 pipe operations between two threads');
  assert.equal(schedPipeText(10, true, 2_001_000)[3], '    Total time: 0.002 [sec]');
});

for (const threaded of [0, 1]) {
  for (const policy of ['dwrr', 'fair'] as const) {
    test(`sched-pipe ${threaded ? '-T' : 'processes'} on ${policy}: 2 reads and 2 writes a loop, 2 switches a loop on 1 CPU`, () => {
      const loops = 50;
      const run = runProgram(SCHED_PIPE, { loops, threaded }, { policy, cpus: 1 });
      const o = run.output as { loops: number; totalNs: number; nsPerOp: number; opsPerSec: number };
      assert.equal(o.loops, loops);
      assert.equal(o.nsPerOp, Math.round(o.totalNs / loops));
      assert.equal(o.opsPerSec, Math.trunc(loops / (o.totalNs / 1e9)));
      assert.equal(run.kernel.stats.syscalls.get(SYS_READ), 2 * loops);
      assert.equal(run.kernel.stats.syscalls.get(SYS_WRITE), 2 * loops);
      // One CPU: a side blocks in read after each write, so every loop switches away and back.
      const switches = run.kernel.stats.switches.reduce((x, y) => x + y, 0);
      assert.ok(switches >= 2 * loops, `${switches} switches for ${loops} loops`);
    });
  }
}
