/**
 * The NVMe register map and queue-entry layouts the NVMe-shaped device uses (NVM Express Base
 * Specification 1.4 §3.1, §4.2, §4.6; Linux include/linux/nvme.h names in brackets):
 * BAR0 registers CAP 0x00 (MQES bits 0-15 = entries - 1, CQR bit 16, DSTRD bits 32-35 = 0 so
 * doorbells are 4 bytes apart), VS 0x08, CC 0x14 (EN bit 0), CSTS 0x1C (RDY bit 0), AQA 0x24
 * (ASQS bits 0-11, ACQS 16-27, sizes - 1), ASQ 0x28, ACQ 0x30; doorbells from 0x1000: SQ y tail
 * at 0x1000 + 8y, CQ y head at 0x1004 + 8y. A submission entry is 64 bytes: DW0 opcode 0-7 and
 * command id 16-31, DW1 namespace, DW6-7 PRP1, DW10-15 command-specific. A completion is 16
 * bytes: DW0 result, DW2 SQ head 0-15 and SQ id 16-31, DW3 command id 0-15, phase bit 16, status
 * 17-31 (status code 17-24, status code type 25-27).
 * Constants only (abi/): the device (hw/devices/nvme.ts) and the driver (services/drivers/) share it.
 */

export const REG_CAP = 0x00;
export const REG_VS = 0x08;
export const REG_CC = 0x14;
export const REG_CSTS = 0x1c;
export const REG_AQA = 0x24;
export const REG_ASQ = 0x28;
export const REG_ACQ = 0x30;
export const DOORBELL_BASE = 0x1000;
export const NVME_VERSION = 0x0001_0400;
export const SQE_BYTES = 64;
export const CQE_BYTES = 16;
export const BLOCK_BYTES = 512;

/** Admin opcodes [nvme_admin_create_sq, nvme_admin_create_cq]. */
export const ADMIN_CREATE_SQ = 0x01;
export const ADMIN_CREATE_CQ = 0x05;
/** Set Features [nvme_admin_set_features] and its Number of Queues feature [NVME_FEAT_NUM_QUEUES]. */
export const ADMIN_SET_FEATURES = 0x09;
export const FEAT_NUM_QUEUES = 0x07;
/** NVM opcodes [nvme_cmd_write, nvme_cmd_read]. */
export const IO_WRITE = 0x01;
export const IO_READ = 0x02;

/** Status: success, invalid opcode, invalid field, LBA out of range, invalid queue identifier. */
export const SC_SUCCESS = 0x000;
export const SC_INVALID_OPCODE = 0x001;
export const SC_INVALID_FIELD = 0x002;
export const SC_LBA_RANGE = 0x080;
export const SC_QID_INVALID = 0x101;

export interface Sqe {
  readonly opcode: number;
  readonly cid: number;
  readonly nsid: number;
  readonly prp1: number;
  readonly cdw10: number;
  readonly cdw11: number;
  readonly cdw12: number;
}

/** The DW3 of a completion: command id, phase, status (SCT << 8 | SC) from bit 17. */
export function cqeDw3(cid: number, phase: boolean, status: number): number {
  return ((cid & 0xffff) | (phase ? 1 << 16 : 0) | (status << 17)) >>> 0;
}

/** The 16 words of a submission entry: what a driver writes into its SQ. */
export function encodeSqe(e: Sqe): number[] {
  const w = new Array<number>(16).fill(0);
  w[0] = (e.opcode | (e.cid << 16)) >>> 0;
  w[1] = e.nsid >>> 0;
  w[6] = (e.prp1 % 2 ** 32) >>> 0;
  w[7] = Math.floor(e.prp1 / 2 ** 32) >>> 0;
  w[10] = e.cdw10 >>> 0;
  w[11] = e.cdw11 >>> 0;
  w[12] = e.cdw12 >>> 0;
  return w;
}
