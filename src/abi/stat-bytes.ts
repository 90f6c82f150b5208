/**
 * `struct stat` as bytes (x86-64, 144 bytes, abi/fd.ts offsets), the one layout kernel and
 * guests share: what fstat copies out, and what a user scheme server answers an Fstat with.
 * Times are 0, st_blksize 4096, st_blocks in 512-byte units.
 */
import {
  STAT_BLKSIZE,
  STAT_BLOCKS,
  STAT_BYTES,
  STAT_DEV,
  STAT_GID,
  STAT_INO,
  STAT_MODE,
  STAT_NLINK,
  STAT_SIZE,
  STAT_UID,
  type StatInfo,
} from './fd.ts';

export function statBytes(info: StatInfo): Uint8Array {
  const out = new Uint8Array(STAT_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(STAT_DEV, BigInt(info.dev), true);
  view.setBigUint64(STAT_INO, BigInt(info.ino), true);
  view.setBigUint64(STAT_NLINK, BigInt(info.nlink), true);
  view.setUint32(STAT_MODE, info.mode, true);
  view.setUint32(STAT_UID, info.uid, true);
  view.setUint32(STAT_GID, 0, true);
  view.setBigInt64(STAT_SIZE, BigInt(info.size), true);
  view.setBigInt64(STAT_BLKSIZE, 4096n, true);
  view.setBigInt64(STAT_BLOCKS, BigInt(Math.ceil(info.size / 4096) * 8), true);
  return out;
}

export function statFromBytes(bytes: Uint8Array): StatInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, STAT_BYTES);
  return {
    dev: Number(view.getBigUint64(STAT_DEV, true)),
    ino: Number(view.getBigUint64(STAT_INO, true)),
    nlink: Number(view.getBigUint64(STAT_NLINK, true)),
    mode: view.getUint32(STAT_MODE, true),
    uid: view.getUint32(STAT_UID, true),
    size: Number(view.getBigInt64(STAT_SIZE, true)),
  };
}
