// The descriptor table against a model (fast-check): random open, dup, dup2, close, fcntl
// F_SETFD, fork and spawn over several processes' tables. After every step each table's
// numbers, each slot's description and FD_CLOEXEC bit match the model, a new number is the
// lowest free one, and each description's reference count is the number of slots holding it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OpenFile } from '../../../src/kernel/fd/open-file.ts';
import type { SchemeFile } from '../../../src/kernel/fd/scheme.ts';
import { FdTable } from '../../../src/kernel/fd/table.ts';

const LIMIT = 12;
const NO_FILE = {} as SchemeFile; // never called: the table only holds descriptions

type Op =
  | { op: 'open'; p: number; cloexec: boolean }
  | { op: 'dup'; p: number; fd: number }
  | { op: 'dup2'; p: number; fd: number; to: number }
  | { op: 'close'; p: number; fd: number }
  | { op: 'setfd'; p: number; fd: number; cloexec: boolean }
  | { op: 'fork'; p: number; exec: boolean };

const fdArb = fc.integer({ min: -1, max: LIMIT });
const pArb = fc.nat(3);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('open' as const), p: pArb, cloexec: fc.boolean() }),
  fc.record({ op: fc.constant('dup' as const), p: pArb, fd: fdArb }),
  fc.record({ op: fc.constant('dup2' as const), p: pArb, fd: fdArb, to: fdArb }),
  fc.record({ op: fc.constant('close' as const), p: pArb, fd: fdArb }),
  fc.record({ op: fc.constant('setfd' as const), p: pArb, fd: fdArb, cloexec: fc.boolean() }),
  fc.record({ op: fc.constant('fork' as const), p: pArb, exec: fc.boolean() }),
);

type ModelSlot = { file: OpenFile; cloexec: boolean };
type Model = Map<number, ModelSlot>;

function lowest(model: Model, min = 0): number {
  for (let fd = min; fd < LIMIT; fd++) if (!model.has(fd)) return fd;
  return -1;
}

/** Applies `o` to the real tables and the model; both report the same result or the test fails. */
function step(tables: FdTable[], models: Model[], o: Op): void {
  const i = o.p % tables.length;
  const table = tables[i]!;
  const model = models[i]!;
  switch (o.op) {
    case 'open': {
      const file = new OpenFile(NO_FILE, 0);
      const want = lowest(model);
      assert.equal(table.install(file, o.cloexec), want);
      if (want >= 0) model.set(want, { file, cloexec: o.cloexec });
      return;
    }
    case 'dup': {
      const slot = model.get(o.fd);
      const want = slot === undefined ? -1 : lowest(model);
      if (slot === undefined) {
        assert.equal(table.get(o.fd), undefined);
        return;
      }
      assert.equal(table.install(slot.file, false), want);
      if (want >= 0) {
        slot.file.refs++;
        model.set(want, { file: slot.file, cloexec: false });
      }
      return;
    }
    case 'dup2': {
      const slot = model.get(o.fd);
      if (slot === undefined || o.to < 0 || o.to >= LIMIT || o.fd === o.to) return;
      slot.file.refs++;
      const old = table.installAt(o.to, slot.file, false);
      assert.equal(old, model.get(o.to)?.file);
      if (old !== undefined) old.refs--;
      model.set(o.to, { file: slot.file, cloexec: false });
      return;
    }
    case 'close': {
      const file = table.remove(o.fd);
      assert.equal(file, model.get(o.fd)?.file);
      if (file !== undefined) file.refs--;
      model.delete(o.fd);
      return;
    }
    case 'setfd': {
      const slot = table.get(o.fd);
      assert.equal(slot?.file, model.get(o.fd)?.file);
      if (slot !== undefined) {
        slot.cloexec = o.cloexec;
        model.get(o.fd)!.cloexec = o.cloexec;
      }
      return;
    }
    case 'fork': {
      if (tables.length >= 4) return;
      tables.push(table.copy(o.exec));
      const copy: Model = new Map();
      for (const [fd, s] of model) if (!(o.exec && s.cloexec)) copy.set(fd, { ...s });
      models.push(copy);
      return;
    }
  }
}

function check(tables: FdTable[], models: Model[]): void {
  const holders = new Map<OpenFile, number>();
  tables.forEach((table, i) => {
    const model = models[i]!;
    assert.deepEqual(
      table.fds(),
      [...model.keys()].sort((a, b) => a - b),
    );
    for (const [fd, s] of model) {
      assert.equal(table.get(fd)?.file, s.file);
      assert.equal(table.get(fd)?.cloexec, s.cloexec);
      holders.set(s.file, (holders.get(s.file) ?? 0) + 1);
    }
  });
  for (const [file, count] of holders) assert.equal(file.refs, count);
}

test('the descriptor table matches its model over random open/dup/dup2/close/fork/spawn', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      const tables = [new FdTable(LIMIT)];
      const models: Model[] = [new Map()];
      for (const o of ops) {
        step(tables, models, o);
        check(tables, models);
      }
    }),
    { numRuns: 300 },
  );
});
