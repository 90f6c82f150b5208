/**
 * The `irq:` kernel scheme (issue 18) on the descriptor layer (kernel/fd/scheme.ts), as Redox's
 * src/scheme/irq.rs: `open("irq:<device>/<source>")` (optionally `@<cpu>`, the CPU a queue's
 * vector should be on) opens the function's interrupt source as irq_open does; `read` blocks
 * until an interrupt came after the last acknowledgement and writes the count as 8 bytes
 * (a usize, little-endian); `write` of 8 bytes acknowledges with that count (0 bytes taken for a
 * stale count: the line stays masked, Redox's `Ok(0)`); the last close frees the vector. The
 * handlers are the device calls' (syscalls.ts); a machine without devices answers ENODEV.
 */
import { EFAULT, EINVAL, ENODEV, ENOENT } from '../../abi/errno.ts';
import { POLLHUP, POLLIN, POLLOUT, S_IFCHR, type StatInfo } from '../../abi/fd.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import { addBuiltinScheme, type KernelScheme, type PollState, type SchemeFile } from '../fd/scheme.ts';
import { WaitQueue } from '../fd/wait-queue.ts';
import type { IrqHandle } from './devio.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { getUser32, putUser32, wordOk } from '../uaccess.ts';
import { sysIrqClose, sysIrqOpen, sysIrqRead, sysIrqWrite } from './syscalls.ts';

/** The irq scheme's device number in fstat's st_dev. */
export const IRQ_DEV = 3;
const COUNT_BYTES = 8;

class IrqFile implements SchemeFile {
  readonly #handle: number;
  readonly #owner: Thread;
  readonly #h: IrqHandle;

  constructor(handle: number, owner: Thread, h: IrqHandle) {
    this.#handle = handle;
    this.#owner = owner;
    this.#h = h;
  }

  /**
   * Readable while an interrupt came after the last acknowledgement (a read returns at once),
   * hung up once closed; how a Redox driver's event loop learns of its IRQ (it subscribes the irq
   * handle to its `event:` queue; poll here, fd/poll.ts). Writable always.
   */
  poll(): PollState {
    const h = this.#h;
    h.pollers ??= new WaitQueue('irq');
    const ready = h.closed ? POLLHUP : h.count !== h.acked ? POLLIN : 0;
    return { ready: ready | POLLOUT, queues: [h.pollers] };
  }

  *read(k: Kernel, cpu: Cpu, t: Thread, _file: unknown, addr: number, len: number): KernelGen<number> {
    if (len < COUNT_BYTES) return -EINVAL;
    if (!wordOk(t, addr, true) || !wordOk(t, addr + 4, true)) return -EFAULT;
    const count = yield* sysIrqRead(k, cpu, t, this.#handle);
    if (count < 0) return count;
    putUser32(t, addr, count);
    putUser32(t, addr + 4, 0);
    return COUNT_BYTES;
  }

  *write(k: Kernel, _cpu: Cpu, t: Thread, _file: unknown, addr: number, len: number): KernelGen<number> {
    if (len < COUNT_BYTES) return -EINVAL;
    if (!wordOk(t, addr, false)) return -EFAULT;
    const r = yield* sysIrqWrite(k, t, this.#handle, getUser32(t, addr) >>> 0);
    return r === 1 ? COUNT_BYTES : r;
  }

  *fstat(_k: Kernel, t: Thread): KernelGen<StatInfo> {
    return { dev: IRQ_DEV, ino: this.#handle, mode: S_IFCHR | 0o600, nlink: 1, uid: t.process.uid, size: 0 };
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    yield* sysIrqClose(k, cpu, this.#owner, this.#handle);
  }
}

/** `<device>/<source>[@<cpu>]`: the function's index, the source and the CPU (-1: any), or -errno. */
function parse(k: Kernel, path: string): [number, number, number] | number {
  const m = /^([a-z][a-z0-9-]{0,31})\/(\d{1,4})(?:@(\d{1,3}))?$/.exec(path);
  if (m === null) return -EINVAL;
  const dev = k.devio!.functions.findIndex((f) => f.name === m[1]);
  if (dev < 0) return -ENOENT;
  return [dev, Number(m[2]), m[3] === undefined ? -1 : Number(m[3])];
}

const irqScheme: KernelScheme = {
  name: 'irq',
  *open(k, _cpu, t, path) {
    if (k.devio === null) return -ENODEV;
    const parsed = parse(k, path);
    if (typeof parsed === 'number') return parsed;
    const handle = yield* sysIrqOpen(k, t, ...parsed);
    return handle < 0 ? handle : new IrqFile(handle, t, k.devio.handles.get(handle)!);
  },
};

addBuiltinScheme(() => irqScheme);
