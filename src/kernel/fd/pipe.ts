/**
 * Pipes: a bounded byte buffer of PIPE_CAPACITY_BYTES (64 KiB, Linux's default and Redox's
 * MAX_QUEUE_SIZE), a read end and a write end, blocking readers and writers with wakeups.
 * Both kernels: a read takes what is there (blocking while empty), 0 at EOF once every writer
 * has closed, EAGAIN under O_NONBLOCK; a write blocks while the buffer is full.
 *
 * Baseline (redox-os/kernel src/scheme/pipe.rs kwrite): a write puts in as much as fits and
 * returns that count at once: no PIPE_BUF atomicity, so two writers' records can interleave;
 * writing with no reader left is EPIPE and no signal (the kernel sends no SIGPIPE).
 * Improved (Linux fs/pipe.c pipe_write): a write of at most PIPE_BUF (4096) bytes is atomic:
 * it waits until all of it fits (EAGAIN under O_NONBLOCK); a larger blocking write loops until
 * all is written; a larger non-blocking one writes what fits (EAGAIN if nothing). No reader:
 * SIGPIPE to the writer and EPIPE (or the bytes already written).
 */
import { EAGAIN, EBADF, EFAULT, EPIPE } from '../../abi/errno.ts';
import {
  O_NONBLOCK,
  PIPE_BUF,
  PIPE_CAPACITY_BYTES,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  S_IFIFO,
  type StatInfo,
} from '../../abi/fd.ts';
import { SIGPIPE } from '../../abi/signal.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { signalThread } from '../signal.ts';
import type { Thread } from '../thread.ts';
import { copyin, copyout } from '../uaccess.ts';
import { copyCostNs } from './costs.ts';
import { fdMode } from './mode.ts';
import type { OpenFile } from './open-file.ts';
import type { PollState, SchemeFile } from './scheme.ts';
import { WaitQueue } from './wait-queue.ts';

/** The pipe scheme's device number in fstat's st_dev. */
export const PIPE_DEV = 2;

export class Pipe {
  readonly ino: number;
  readonly capacityBytes: number;
  readonly #ring: Uint8Array;
  #head = 0;
  #length = 0;
  readers = 1;
  writers = 1;
  readonly readWait = new WaitQueue('pipe-read');
  readonly writeWait = new WaitQueue('pipe-write');

  constructor(ino: number, capacityBytes = PIPE_CAPACITY_BYTES) {
    this.ino = ino;
    this.capacityBytes = capacityBytes;
    this.#ring = new Uint8Array(capacityBytes);
  }

  get length(): number {
    return this.#length;
  }

  get spaceBytes(): number {
    return this.capacityBytes - this.#length;
  }

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++)
      this.#ring[(this.#head + this.#length + i) % this.capacityBytes] = bytes[i]!;
    this.#length += bytes.length;
  }

  /** Takes up to `n` bytes from the front. */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.#length);
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.#ring[(this.#head + i) % this.capacityBytes]!;
    return out;
  }

  drop(n: number): void {
    this.#head = (this.#head + n) % this.capacityBytes;
    this.#length -= n;
  }
}

function stat(pipe: Pipe, t: Thread): StatInfo {
  return { dev: PIPE_DEV, ino: pipe.ino, mode: S_IFIFO | 0o600, nlink: 1, uid: t.process.uid, size: 0 };
}

export class PipeReadEnd implements SchemeFile {
  constructor(readonly pipe: Pipe) {}

  *read(k: Kernel, cpuAtEntry: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const pipe = this.pipe;
    let cpu = cpuAtEntry;
    yield spend(k.board.costs.pipeCallNs);
    if (len === 0) return 0;
    for (;;) {
      if (pipe.length > 0) {
        const bytes = pipe.take(len);
        yield spend(copyCostNs(k, bytes.length));
        if (!copyout(t, addr, bytes)) return -EFAULT;
        pipe.drop(bytes.length);
        yield* pipe.writeWait.wakeAll(k, cpu);
        return bytes.length;
      }
      if (pipe.writers === 0) return 0;
      if ((file.flags & O_NONBLOCK) !== 0) return -EAGAIN;
      k.board.trace.mix(TraceKind.PipeBlock, t.id, 0);
      const woke = yield* pipe.readWait.sleep(k, cpu, t);
      if (typeof woke === 'number') return woke;
      cpu = woke;
    }
  }

  *write(): KernelGen<number> {
    return -EBADF;
  }

  *fstat(_k: Kernel, t: Thread): KernelGen<StatInfo> {
    return stat(this.pipe, t);
  }

  /** Readable with data; POLLHUP once every writer has gone (fs/pipe.c pipe_poll). */
  poll(): PollState {
    const p = this.pipe;
    return { ready: (p.length > 0 ? POLLIN : 0) | (p.writers === 0 ? POLLHUP : 0), queues: [p.readWait] };
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    this.pipe.readers--;
    if (this.pipe.readers === 0) yield* this.pipe.writeWait.wakeAll(k, cpu);
  }
}

export class PipeWriteEnd implements SchemeFile {
  constructor(readonly pipe: Pipe) {}

  *read(): KernelGen<number> {
    return -EBADF;
  }

  *write(
    k: Kernel,
    cpuAtEntry: Cpu,
    t: Thread,
    file: OpenFile,
    addr: number,
    len: number,
  ): KernelGen<number> {
    const pipe = this.pipe;
    const linux = fdMode(k) === 'linux';
    const nonblock = (file.flags & O_NONBLOCK) !== 0;
    let cpu = cpuAtEntry;
    let written = 0;
    yield spend(k.board.costs.pipeCallNs);
    if (linux && len === 0) return 0; // pipe_write returns before it looks at the readers; Redox's kwrite does not
    const data = copyin(t, addr, len);
    if (data === null) return -EFAULT;
    for (;;) {
      if (pipe.readers === 0) {
        if (linux) yield* signalThread(k, cpu, t, SIGPIPE);
        return written > 0 ? written : -EPIPE;
      }
      const left = len - written;
      // Linux: a write of at most PIPE_BUF goes in whole or waits; Redox: whatever fits.
      const atomic = linux && len <= PIPE_BUF;
      const n = atomic ? (pipe.spaceBytes >= left ? left : 0) : Math.min(left, pipe.spaceBytes);
      if (n > 0) {
        yield spend(copyCostNs(k, n));
        pipe.push(data.subarray(written, written + n));
        written += n;
        yield* pipe.readWait.wakeAll(k, cpu);
      }
      if (written === len || (written > 0 && (!linux || nonblock))) return written;
      if (nonblock) return -EAGAIN;
      k.board.trace.mix(TraceKind.PipeBlock, t.id, 1);
      const woke = yield* pipe.writeWait.sleep(k, cpu, t);
      if (typeof woke === 'number') return written > 0 ? written : woke;
      cpu = woke;
    }
  }

  *fstat(_k: Kernel, t: Thread): KernelGen<StatInfo> {
    return stat(this.pipe, t);
  }

  /** Writable while not full; POLLERR once every reader has gone (fs/pipe.c pipe_poll). */
  poll(): PollState {
    const p = this.pipe;
    return {
      ready: (p.spaceBytes > 0 ? POLLOUT : 0) | (p.readers === 0 ? POLLERR : 0),
      queues: [p.writeWait],
    };
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    this.pipe.writers--;
    if (this.pipe.writers === 0) yield* this.pipe.readWait.wakeAll(k, cpu);
  }
}

/** Each kernel's pipe counter, for inode numbers. */
const NEXT_INO = new WeakMap<Kernel, number>();

/** A new pipe's two ends. */
export function makePipe(k: Kernel): [PipeReadEnd, PipeWriteEnd] {
  const ino = NEXT_INO.get(k) ?? 1;
  NEXT_INO.set(k, ino + 1);
  const pipe = new Pipe(ino);
  return [new PipeReadEnd(pipe), new PipeWriteEnd(pipe)];
}
