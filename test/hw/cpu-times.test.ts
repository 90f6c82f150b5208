// Each CPU's row of the board's time table (hw/cpu-times.ts) accounts for every ns of that CPU
// alone: a CPU is always in exactly one of user code, kernel code, spinning or halted, and each
// is charged in full when it starts (a halt when it ends; idleSoFarNs counts the one in
// progress). So at the end of a run a halted CPU's four times sum to the simulated time exactly,
// and a CPU still in an effect is ahead by exactly what is left of it (effectLeftNs). Rows that
// overlapped, or a charge written to another CPU's row, break the sum (issue 14).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMachine } from '../../src/machine/build.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';
import type { WorkloadConfig } from '../../src/machine/config.ts';

function accounted(workload: WorkloadConfig) {
  const config = defaultRunConfig('fair', 4);
  config.name = 'cpu-times';
  config.seed = 3;
  config.workloads = [workload];
  const machine = buildMachine(config, {});
  machine.board.engine.run(config.limits);
  assert.ok(machine.kernel.finished, `the ${workload.kind} run finishes`);
  const nowNs = machine.board.engine.nowNs;
  return machine.board.cpus.map((c) => ({
    halted: c.halted,
    userNs: c.userNs,
    spinNs: c.spinNs,
    aheadNs: c.userNs + c.kernelNs + c.spinNs + c.idleSoFarNs - nowNs,
    effectLeftNs: c.effectLeftNs,
  }));
}

function checkRows(rows: ReturnType<typeof accounted>): void {
  for (const [id, row] of rows.entries()) {
    if (row.halted) assert.equal(row.aheadNs, 0, `cpu ${id}: a halted CPU's times sum to the run's time`);
    else assert.equal(row.aheadNs, row.effectLeftNs, `cpu ${id}: ahead by the effect in progress, no more`);
  }
  assert.ok(rows.filter((r) => r.halted).length >= rows.length - 1, 'all but the last CPU to run are halted');
}

test('a compute run: user and idle time of each CPU sum to the run time', () => {
  const rows = accounted({ kind: 'spin', threads: 6, iterations: 400, cycles: 30_000 });
  checkRows(rows);
  for (const [id, row] of rows.entries()) assert.ok(row.userNs > 0, `cpu ${id} ran user code`);
});

test("a futex ping-pong: spin time on the kernel locks is in each CPU's own row too", () => {
  const rows = accounted({ kind: 'pingpong', pairs: 4, rounds: 2000 });
  checkRows(rows);
  for (const [id, row] of rows.entries()) assert.ok(row.spinNs > 0, `cpu ${id} spun on a kernel lock`);
});
