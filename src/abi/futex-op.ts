/**
 * FUTEX_WAKE_OP's val3 (FUTEX-4), as a program builds it with the C macro FUTEX_OP
 * (include/uapi/linux/futex.h): bit 31 OPARG_SHIFT, bits 28-30 op, bits 24-27 cmp, bits 12-23
 * oparg and bits 0-11 cmparg. The kernel's decoding is kernel/futex/wake-op.ts.
 */
export const FUTEX_OP_SET = 0;
export const FUTEX_OP_ADD = 1;
export const FUTEX_OP_OR = 2;
export const FUTEX_OP_ANDN = 3;
export const FUTEX_OP_XOR = 4;
export const FUTEX_OP_OPARG_SHIFT = 8;
export const FUTEX_OP_CMP_EQ = 0;
export const FUTEX_OP_CMP_NE = 1;
export const FUTEX_OP_CMP_LT = 2;
export const FUTEX_OP_CMP_LE = 3;
export const FUTEX_OP_CMP_GT = 4;
export const FUTEX_OP_CMP_GE = 5;

/** FUTEX_OP(op, oparg, cmp, cmparg), as the C macro builds val3. */
export function encodeWakeOp(op: number, oparg: number, cmp: number, cmparg: number): number {
  return (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)) >>> 0;
}
