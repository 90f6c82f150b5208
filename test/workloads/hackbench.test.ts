// hackbench (src/workloads/hackbench.ts): exact message and system-call counts (no short read
// or write while a receiver's channel never fills), hackbench's output lines, processes and
// threads, pipes on both kernels, sockets on the improved one and a named failure on the baseline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYS_FORK, SYS_POLL, SYS_READ, SYS_SOCKETPAIR, SYS_WRITE } from '../../src/abi/syscalls.ts';
import { HACKBENCH, hackbenchText } from '../../src/workloads/hackbench.ts';
import { runProgram } from '../support/program-run.ts';

const SMALL = { groups: 2, fds: 3, loops: 4 };
// 2 groups * 3 senders * 3 receivers * 4 loops.
const MESSAGES = 72;
const TASKS = 12;

test('hackbench prints its mode, sizes and Time in seconds with 3 decimals', () => {
  const args = { ...SMALL, datasize: 100, pipe: 1, threads: 0 };
  assert.deepEqual(hackbenchText(args, 1_234_567_890), [
    'Running in process mode with 2 groups using 6 file descriptors each (== 12 tasks)',
    'Each sender will pass 4 messages of 100 bytes',
    'Time: 1.234',
  ]);
  assert.equal(
    hackbenchText({ ...args, threads: 1 }, 77_000_000)[0]?.startsWith('Running in threaded mode'),
    true,
  );
  assert.equal(hackbenchText(args, 77_999_999)[2], 'Time: 0.077');
});

for (const [name, args, options] of [
  ['pipes, processes, dwrr', { pipe: 1, threads: 0 }, { policy: 'dwrr' }],
  ['pipes, threads, dwrr', { pipe: 1, threads: 1 }, { policy: 'dwrr' }],
  [
    'sockets, processes, fair',
    { pipe: 0, threads: 0 },
    { policy: 'fair', futex: { mode: 'linux', shards: 64 } },
  ],
  [
    'sockets, threads, fair',
    { pipe: 0, threads: 1 },
    { policy: 'fair', futex: { mode: 'linux', shards: 64 } },
  ],
] as const) {
  test(`hackbench ${name}: every message read whole, one ready byte per task, one wake-up`, () => {
    const run = runProgram(HACKBENCH, { ...SMALL, ...args }, { ...options, cpus: 2 });
    const o = run.output as { messages: number; tasks: number; timeNs: number };
    assert.equal(o.messages, MESSAGES);
    assert.equal(o.tasks, TASKS);
    assert.ok(o.timeNs > 0);
    const calls = run.kernel.stats.syscalls;
    assert.equal(calls.get(SYS_READ), MESSAGES + TASKS); // receivers' messages + the main's ready bytes
    assert.equal(calls.get(SYS_WRITE), MESSAGES + TASKS + 1); // senders' messages + ready bytes + wake-up
    assert.equal(calls.get(SYS_POLL), TASKS);
    assert.equal(calls.get(SYS_FORK) ?? 0, args.threads === 1 ? 0 : TASKS);
    assert.equal(calls.get(SYS_SOCKETPAIR) ?? 0, args.pipe === 1 ? 0 : 6); // one per receiver
  });
}

test('hackbench sockets on the baseline: the run fails naming the missing socketpair', () => {
  const run = runProgram(
    HACKBENCH,
    { ...SMALL, pipe: 0 },
    {
      policy: 'dwrr',
      expectFaults: [
        {
          signal: 'SIGABRT',
          message:
            'hackbench: socketpair failed (EAFNOSUPPORT: this kernel has no AF_UNIX sockets; use pipe = 1)',
        },
      ],
    },
  );
  assert.deepEqual(run.output, {});
});

test('check: more than 1000 tasks is refused', () => {
  const base = { groups: 10, fds: 20, loops: 1, datasize: 100, pipe: 1, threads: 0 };
  assert.equal(HACKBENCH.check?.(base, { cpus: 2 }), null);
  assert.equal(HACKBENCH.check?.({ ...base, groups: 26 }, { cpus: 2 })?.problem, '1040 tasks');
});
