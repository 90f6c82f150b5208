/**
 * AF_UNIX SOCK_STREAM socket pairs (improved kernel only; Linux net/unix/af_unix.c): two
 * connected, indistinguishable ends, each a full-duplex byte stream. Modelled as two of the
 * pipe's byte rings (pipe.ts), one a direction: an end reads the ring its peer writes and
 * writes the one its peer reads, so reads, EOF (0 once the peer has closed), O_NONBLOCK's
 * EAGAIN, blocking and wakeups are the pipe's Linux ones. Each ring holds the sender's send
 * buffer, net.core.wmem_default 212992 bytes (Linux counts skb truesize against sk_sndbuf;
 * here bytes). Writing after the peer has gone is EPIPE with SIGPIPE (unix_stream_sendmsg:
 * `send_sig(SIGPIPE, current, 0)` without MSG_NOSIGNAL), as a pipe's write is.
 *
 * Simplification: a write of up to PIPE_BUF bytes is atomic and a longer one may be split, as
 * a pipe's; Linux splits a stream send into skbs of at most sk_sndbuf/2 - 64 bytes, so records
 * up to ~100 KiB never interleave there. hackbench's 100-byte messages are atomic either way.
 *
 * The baseline (Redox) has no socketpair in its kernel: its Unix domain sockets are a
 * userspace scheme (`/scheme/uds_stream`, redox-os/website content/news/rsoc-2025-uds.md),
 * not modelled, so the baseline answers EAFNOSUPPORT (socket-syscalls.ts).
 */
import { type StatInfo, POLLERR, POLLHUP, POLLIN, POLLOUT } from '../../abi/fd.ts';
import { S_IFSOCK, UNIX_STREAM_BUFFER_BYTES } from '../../abi/socket.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import type { OpenFile } from './open-file.ts';
import { Pipe, PipeReadEnd, PipeWriteEnd } from './pipe.ts';
import type { PollState, SchemeFile } from './scheme.ts';

/** The socket "filesystem"'s device number in fstat's st_dev (sockfs). */
export const SOCKFS_DEV = 3;

export class UnixStreamEnd implements SchemeFile {
  readonly #in: PipeReadEnd;
  readonly #out: PipeWriteEnd;

  constructor(
    readonly ino: number,
    inbound: Pipe,
    outbound: Pipe,
  ) {
    this.#in = new PipeReadEnd(inbound);
    this.#out = new PipeWriteEnd(outbound);
  }

  read(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    return this.#in.read(k, cpu, t, file, addr, len);
  }

  /** A pipe write after the socket's own send cost (the skb, cost-model unixStreamSendNs). */
  *write(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    yield spend(k.board.costs.unixStreamSendNs);
    return yield* this.#out.write(k, cpu, t, file, addr, len);
  }

  *fstat(_k: Kernel, t: Thread): KernelGen<StatInfo> {
    return { dev: SOCKFS_DEV, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: t.process.uid, size: 0 };
  }

  /** unix_poll: readable with data or once the peer is gone (POLLHUP); writable while there is room. */
  poll(): PollState {
    const inbound = this.#in.pipe;
    const outbound = this.#out.pipe;
    const peerGone = inbound.writers === 0;
    let ready = inbound.length > 0 || peerGone ? POLLIN : 0;
    if (peerGone) ready |= POLLHUP;
    if (outbound.readers === 0) ready |= POLLERR;
    else if (outbound.spaceBytes > 0) ready |= POLLOUT;
    return { ready, queues: [inbound.readWait, outbound.writeWait] };
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    yield* this.#in.close(k, cpu);
    yield* this.#out.close(k, cpu);
  }
}

/** Each kernel's socket counter, for inode numbers. */
const NEXT_INO = new WeakMap<Kernel, number>();

/** A connected pair: end 0 reads what end 1 writes and the other way round. */
export function makeUnixStreamPair(k: Kernel): [UnixStreamEnd, UnixStreamEnd] {
  const ino = NEXT_INO.get(k) ?? 1;
  NEXT_INO.set(k, ino + 2);
  const aToB = new Pipe(ino, UNIX_STREAM_BUFFER_BYTES);
  const bToA = new Pipe(ino + 1, UNIX_STREAM_BUFFER_BYTES);
  return [new UnixStreamEnd(ino, bToA, aToB), new UnixStreamEnd(ino + 1, aToB, bToA)];
}
