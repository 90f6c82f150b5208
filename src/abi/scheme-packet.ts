/**
 * The user-scheme packets, Redox's scheme protocol v2 (redox-os/syscall src/schemev2.rs @4cc3baaf):
 * the kernel queues a request (Sqe, 64 bytes) that the server reads from its scheme descriptor;
 * the server writes an answer (Cqe, 16 bytes) back to it. All little-endian.
 *
 *   Sqe: opcode u8 @0, sqe_flags u8 @1, reserved u16 @2, tag u32 @4, args u64[6] @8, caller u64 @56
 *   Cqe: flags u8 @0 (bits 2..0 the CqeOpcode; 0 RespondRegular), extra u8[3] @1, tag u32 @4,
 *        result u64 @8 (a byte count or id, or a negated errno as a two's-complement i64)
 *
 * Arguments by opcode, as the Redox kernel fills them (src/scheme/user.rs) except where noted:
 *   OpenAt  [0, pathAddr, pathLen, flags, 0, uid << 32 | gid]       answer: the server's file id
 *   Read    [id, bufAddr, len, offset, flags, uid << 32 | gid]      answer: bytes put at bufAddr
 *   Write   [id, bufAddr, len, offset, flags, uid << 32 | gid]      answer: bytes taken
 *   Fstat   [id, bufAddr, STAT_BYTES, 0, 0, uid << 32 | gid]        answer: 0, struct stat at bufAddr
 *   CloseMsg [id, 0, ...], tag 0, one-way: no answer is expected (Redox's close sends it so)
 *
 * Where Redox maps the client's pages into the server, here the kernel copies: a request's data
 * (the path, the bytes written) follows the Sqe in the server's read buffer, and the buffer the
 * server answers into (for Read and Fstat) is the space after the Sqe; `bufAddr` is that address
 * in the server's memory, `len` what fits there (docs/schemes.md).
 */
export const SQE_BYTES = 64;
export const CQE_BYTES = 16;

export const SQE_OPCODE = 0;
export const SQE_FLAGS = 1;
export const SQE_TAG = 4;
export const SQE_ARGS = 8;
export const SQE_CALLER = 56;
/** SqeFlags::ONEWAY: the sender waits for no answer. */
export const SQE_ONEWAY = 1;

export const CQE_FLAGS = 0;
export const CQE_TAG = 4;
export const CQE_RESULT = 8;
/** CqeOpcode::RespondRegular, the only answer kind modelled. */
export const CQE_RESPOND_REGULAR = 0;

/** Opcodes (schemev2.rs `Opcode`). */
export const SCHEME_OP_CLOSE = 3;
export const SCHEME_OP_READ = 5;
export const SCHEME_OP_WRITE = 6;
export const SCHEME_OP_FSTAT = 15;
export const SCHEME_OP_CLOSE_MSG = 27;
export const SCHEME_OP_OPENAT = 29;

/** A request as both sides see it. */
export interface Sqe {
  opcode: number;
  flags: number;
  tag: number;
  args: [number, number, number, number, number, number];
  caller: number;
}

export function encodeSqe(sqe: Sqe): Uint8Array {
  const out = new Uint8Array(SQE_BYTES);
  const view = new DataView(out.buffer);
  view.setUint8(SQE_OPCODE, sqe.opcode);
  view.setUint8(SQE_FLAGS, sqe.flags);
  view.setUint32(SQE_TAG, sqe.tag, true);
  for (let i = 0; i < sqe.args.length; i++) {
    view.setBigUint64(SQE_ARGS + 8 * i, BigInt.asUintN(64, BigInt(sqe.args[i]!)), true);
  }
  view.setBigUint64(SQE_CALLER, BigInt(sqe.caller), true);
  return out;
}

export function decodeSqe(bytes: Uint8Array): Sqe {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SQE_BYTES);
  const arg = (i: number) => Number(view.getBigUint64(SQE_ARGS + 8 * i, true));
  return {
    opcode: view.getUint8(SQE_OPCODE),
    flags: view.getUint8(SQE_FLAGS),
    tag: view.getUint32(SQE_TAG, true),
    args: [arg(0), arg(1), arg(2), arg(3), arg(4), arg(5)],
    caller: Number(view.getBigUint64(SQE_CALLER, true)),
  };
}

export interface Cqe {
  flags: number;
  tag: number;
  /** A non-negative result or a negated errno. */
  result: number;
}

export function encodeCqe(cqe: Cqe): Uint8Array {
  const out = new Uint8Array(CQE_BYTES);
  const view = new DataView(out.buffer);
  view.setUint8(CQE_FLAGS, cqe.flags);
  view.setUint32(CQE_TAG, cqe.tag, true);
  view.setBigInt64(CQE_RESULT, BigInt(cqe.result), true);
  return out;
}

export function decodeCqe(bytes: Uint8Array): Cqe {
  const view = new DataView(bytes.buffer, bytes.byteOffset, CQE_BYTES);
  return {
    flags: view.getUint8(CQE_FLAGS),
    tag: view.getUint32(CQE_TAG, true),
    result: Number(view.getBigInt64(CQE_RESULT, true)),
  };
}
