/**
 * Bytes in guest memory for the descriptor calls' buffers: put and get them through the
 * process's 32-bit loads and stores (a partial last word keeps its other bytes), and text
 * helpers for writing and reading a string through a buffer.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest } from '../abi/guest.ts';
import { read, write } from './io.ts';

export function putBytes(t: Guest, addr: number, bytes: Uint8Array): void {
  for (let w = 0; w < bytes.length; w += 4) {
    const keep = bytes.length - w < 4 ? t.load32(addr + w) : 0;
    let word = 0;
    for (let i = 0; i < 4; i++) {
      const byte = w + i < bytes.length ? bytes[w + i]! : (keep >>> (8 * i)) & 0xff;
      word |= byte << (8 * i);
    }
    t.store32(addr + w, word >>> 0);
  }
}

export function getBytes(t: Guest, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let w = 0; w < len; w += 4) {
    const word = t.load32(addr + w);
    for (let i = 0; i < 4 && w + i < len; i++) out[w + i] = (word >>> (8 * i)) & 0xff;
  }
  return out;
}

/** write(fd) of `text`'s UTF-8 bytes through the buffer at `buf` (large enough): write's result. */
export function* writeText(t: Guest, fd: number, buf: number, text: string): Program<number> {
  const bytes = new TextEncoder().encode(text);
  putBytes(t, buf, bytes);
  return yield* write(t, fd, buf, bytes.length);
}

/** One read(fd) of up to `len` bytes into `buf`, decoded as UTF-8; null (errno set) on an error. */
export function* readText(t: Guest, fd: number, buf: number, len: number): Program<string | null> {
  const n = yield* read(t, fd, buf, len);
  if (n < 0) return null;
  return new TextDecoder().decode(getBytes(t, buf, n));
}
