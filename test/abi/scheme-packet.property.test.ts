// The user-scheme packet layout (abi/scheme-packet.ts): Sqe and Cqe round-trip through their
// bytes for any field values, and land at the offsets Redox's schemev2.rs gives them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CQE_BYTES,
  CQE_RESULT,
  CQE_TAG,
  decodeCqe,
  decodeSqe,
  encodeCqe,
  encodeSqe,
  SQE_ARGS,
  SQE_BYTES,
  SQE_CALLER,
  SQE_TAG,
  type Sqe,
} from '../../src/abi/scheme-packet.ts';

const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const sqeArb: fc.Arbitrary<Sqe> = fc.record({
  opcode: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  tag: fc.integer({ min: 0, max: 0xffffffff }),
  args: fc.tuple(u53, u53, u53, u53, u53, u53),
  caller: u53,
});

test('Sqe and Cqe round-trip through their bytes', () => {
  fc.assert(
    fc.property(sqeArb, (sqe) => {
      const bytes = encodeSqe(sqe);
      assert.equal(bytes.length, SQE_BYTES);
      assert.deepEqual(decodeSqe(bytes), { ...sqe, args: [...sqe.args] });
    }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -(2 ** 31), max: Number.MAX_SAFE_INTEGER }),
      (flags, tag, result) => {
        const bytes = encodeCqe({ flags, tag, result });
        assert.equal(bytes.length, CQE_BYTES);
        assert.deepEqual(decodeCqe(bytes), { flags, tag, result });
      },
    ),
  );
});

test("fields sit at schemev2.rs offsets, little-endian; a negative result is a two's-complement i64", () => {
  const sqe = encodeSqe({ opcode: 29, flags: 1, tag: 0x01020304, args: [5, 6, 7, 8, 9, 10], caller: 42 });
  const view = new DataView(sqe.buffer);
  assert.equal(sqe[0], 29);
  assert.equal(sqe[1], 1);
  assert.equal(view.getUint32(SQE_TAG, true), 0x01020304);
  assert.equal(view.getUint32(SQE_ARGS + 8, true), 6);
  assert.equal(view.getUint32(SQE_CALLER, true), 42);
  const cqe = encodeCqe({ flags: 0, tag: 9, result: -5 });
  const cview = new DataView(cqe.buffer);
  assert.equal(cview.getUint32(CQE_TAG, true), 9);
  assert.equal(cview.getBigUint64(CQE_RESULT, true), 2n ** 64n - 5n);
});
