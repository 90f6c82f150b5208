/**
 * A driver's interrupt handle through the `irq:` scheme (kernel/devio/irq-scheme.ts), as Redox
 * drivers hold one: open `irq:<device>/<source>[@<cpu>]`, read 8 bytes to wait for the next
 * interrupt (the count), write the count back to acknowledge, close to give the vector back.
 * Each handle has its own page for the counts, so threads reading different handles share none.
 */
import type { Program } from '../../abi/effects.ts';
import { O_RDWR } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import { close, open, read, write } from '../../libc/io.ts';
import { mmap_anonymous } from '../../libc/sys.ts';

export interface IrqFd {
  readonly fd: number;
  readonly buf: number;
}

export function* irqOpen(t: Guest, device: string, source: number, cpu = -1): Program<IrqFd> {
  const path = `irq:${device}/${source}${cpu >= 0 ? `@${cpu}` : ''}`;
  const fd = yield* open(t, path, O_RDWR);
  if (fd < 0) throw new Error(`driver: open ${path} failed`);
  return { fd, buf: yield* mmap_anonymous(t, 4096) };
}

/** Blocks until an interrupt after the last acknowledgement; the count, or -1 once closed. */
export function* irqWait(t: Guest, h: IrqFd): Program<number> {
  const n = yield* read(t, h.fd, h.buf, 8);
  return n === 8 ? t.load32(h.buf) >>> 0 : -1;
}

export function* irqAck(t: Guest, h: IrqFd, count: number): Program<number> {
  t.store32(h.buf + 8, count);
  t.store32(h.buf + 12, 0);
  return yield* write(t, h.fd, h.buf + 8, 8);
}

export function* irqClose(t: Guest, h: IrqFd): Program<number> {
  return yield* close(t, h.fd);
}
