/** FUTEX_WAKE_OP's encoded operation and comparison (FUTEX-4), as pure functions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyWakeOp,
  compareWakeOp,
  decodeWakeOp,
  encodeWakeOp,
  FUTEX_OP_ADD,
  FUTEX_OP_ANDN,
  FUTEX_OP_CMP_EQ,
  FUTEX_OP_CMP_GE,
  FUTEX_OP_CMP_GT,
  FUTEX_OP_CMP_LE,
  FUTEX_OP_CMP_LT,
  FUTEX_OP_CMP_NE,
  FUTEX_OP_OPARG_SHIFT,
  FUTEX_OP_OR,
  FUTEX_OP_SET,
  FUTEX_OP_XOR,
} from '../../../src/kernel/futex/wake-op.ts';

test('each operation computes the new word from the old one', () => {
  const run = (op: number, oparg: number, old: number) =>
    applyWakeOp(decodeWakeOp(encodeWakeOp(op, oparg, 0, 0)), old);
  assert.equal(run(FUTEX_OP_SET, 7, 100), 7);
  assert.equal(run(FUTEX_OP_ADD, 7, 100), 107);
  assert.equal(run(FUTEX_OP_OR, 0b0101, 0b0011), 0b0111);
  assert.equal(run(FUTEX_OP_ANDN, 0b0101, 0b0111), 0b0010);
  assert.equal(run(FUTEX_OP_XOR, 0b0101, 0b0011), 0b0110);
  assert.equal(run(5, 1, 1), null, 'op 5 does not exist (ENOSYS)');
});

test('oparg and cmparg are 12-bit signed: ADD -1 decrements, and 0xfff compares as -1', () => {
  const decoded = decodeWakeOp(encodeWakeOp(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, -1));
  assert.equal(decoded.oparg, -1);
  assert.equal(decoded.cmparg, -1);
  assert.equal(applyWakeOp(decoded, 10), 9);
  assert.equal(applyWakeOp(decoded, 0), 0xffffffff, 'the word wraps as a u32');
  assert.equal(compareWakeOp(decoded, 0xffffffff), true, 'the old word compares as a signed int');
});

test('the OPARG_SHIFT flag makes the operand 1 << oparg', () => {
  const decoded = decodeWakeOp(encodeWakeOp(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, 0, 0));
  assert.equal(decoded.shift, true);
  assert.equal(applyWakeOp(decoded, 1), 0b10001);
  const wide = decodeWakeOp(encodeWakeOp(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 33, 0, 0));
  assert.equal(applyWakeOp(wide, 0), 2, 'a shift outside 0..31 is masked, as Linux masks it');
});

test('each comparison against cmparg', () => {
  const cmp = (c: number, old: number) => compareWakeOp(decodeWakeOp(encodeWakeOp(0, 0, c, 5)), old);
  assert.deepEqual(
    [
      FUTEX_OP_CMP_EQ,
      FUTEX_OP_CMP_NE,
      FUTEX_OP_CMP_LT,
      FUTEX_OP_CMP_LE,
      FUTEX_OP_CMP_GT,
      FUTEX_OP_CMP_GE,
    ].map((c) => [cmp(c, 4), cmp(c, 5), cmp(c, 6)]),
    [
      [false, true, false],
      [true, false, true],
      [true, false, false],
      [true, true, false],
      [false, false, true],
      [false, true, true],
    ],
  );
  assert.equal(cmp(6, 5), null, 'cmp 6 does not exist (ENOSYS)');
});

test('encode then decode gives back every field (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: -2048, max: 2047 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: -2048, max: 2047 }),
      (op, oparg, c, cmparg) => {
        const d = decodeWakeOp(encodeWakeOp(op, oparg, c, cmparg));
        assert.deepEqual(d, { op: op & 7, shift: (op & 8) !== 0, cmp: c, oparg, cmparg });
      },
    ),
  );
});
