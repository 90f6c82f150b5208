/**
 * User schemes, the server side. Registering: `open(":name", O_CREAT)` asks the root scheme
 * (the empty scheme name) for a new scheme `name`, as Redox's legacy root scheme did (today's
 * Redox gets a scheme capability from the root with `create-scheme` and names it in the
 * namespace manager: one step here). Root only (EACCES, as SchemeList::kdup), a name of
 * 1..255 bytes without `:` or `/` (EINVAL), not taken (EEXIST), O_CREAT needed (EINVAL).
 * The descriptor it returns is the scheme's: read() takes one request (an Sqe and its data,
 * blocking while there is none, EAGAIN under O_NONBLOCK); write() gives answers (whole Cqes);
 * the last close (or the server's exit) ends the scheme (user-scheme.ts `die`).
 */
import { EACCES, EAGAIN, EEXIST, EFAULT, EINVAL, ENAMETOOLONG } from '../../abi/errno.ts';
import { O_CREAT, O_NONBLOCK, POLLIN, POLLOUT, S_IFCHR, type StatInfo } from '../../abi/fd.ts';
import {
  CQE_BYTES,
  decodeCqe,
  encodeSqe,
  SCHEME_OP_FSTAT,
  SCHEME_OP_OPENAT,
  SCHEME_OP_READ,
  SQE_BYTES,
} from '../../abi/scheme-packet.ts';
import { NAME_MAX } from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { copyin, copyout } from '../uaccess.ts';
import { copyCostNs } from './costs.ts';
import type { OpenFile } from './open-file.ts';
import {
  addBuiltinScheme,
  type KernelScheme,
  type PollState,
  registerScheme,
  type SchemeFile,
} from './scheme.ts';
import { type SchemeRequest, UserScheme } from './user-scheme.ts';

/** The scheme descriptors' device number in fstat's st_dev. */
export const SCHEME_DEV = 3;

export class SchemeServerFile implements SchemeFile {
  constructor(readonly scheme: UserScheme) {}

  /** One request into [addr, addr + len): its Sqe, then its data or the space for the answer. */
  *read(k: Kernel, cpuAtEntry: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const scheme = this.scheme;
    if (len < SQE_BYTES) return -EINVAL;
    let cpu = cpuAtEntry;
    for (;;) {
      const req = scheme.queue.shift();
      if (req !== undefined) {
        if (req.abandoned) continue;
        const n = yield* this.#deliver(k, t, req, addr, len);
        if (n !== null) return n;
        continue;
      }
      if ((file.flags & O_NONBLOCK) !== 0) return -EAGAIN;
      const woke = yield* scheme.serverWait.sleep(k, cpu, t);
      if (typeof woke === 'number') return woke;
      cpu = woke;
    }
  }

  /** Copies `req` to the server; null when it was refused instead (a path longer than the space). */
  *#deliver(k: Kernel, t: Thread, req: SchemeRequest, addr: number, len: number): KernelGen<number | null> {
    const space = len - SQE_BYTES;
    const sqe = { ...req.sqe, args: [...req.sqe.args] as typeof req.sqe.args };
    let data = req.payload;
    if (data.length > space) {
      // A path that does not fit fails the open; written bytes beyond the space are not taken.
      if (req.sqe.opcode === SCHEME_OP_OPENAT) {
        yield* this.#refuse(k, t, req, -ENAMETOOLONG);
        return null;
      }
      data = data.subarray(0, space);
    }
    sqe.args[1] = addr + SQE_BYTES;
    sqe.args[2] = req.replyCapBytes > 0 ? Math.min(req.replyCapBytes, space) : data.length;
    const out = new Uint8Array(SQE_BYTES + data.length);
    out.set(encodeSqe(sqe));
    out.set(data, SQE_BYTES);
    yield spend(k.board.costs.schemePacketNs + copyCostNs(k, out.length));
    if (!copyout(t, addr, out)) {
      this.scheme.queue.unshift(req); // not taken: the next read gets it
      return -EFAULT;
    }
    req.serverAddr = addr + SQE_BYTES;
    req.replyCapBytes = sqe.args[2];
    if (req.waiter !== null) this.scheme.inFlight.set(req.sqe.tag, req);
    return out.length;
  }

  /** Answers `req` with `errno` itself: the server never sees it. */
  *#refuse(k: Kernel, t: Thread, req: SchemeRequest, errno: number): KernelGen<void> {
    req.answered = true;
    req.result = errno;
    if (req.waiter !== null) yield* k.wakeThread(k.cpuOf(t), req.waiter);
  }

  /** Answers, whole Cqes; an unknown tag is EINVAL (or ends the write after the good ones). */
  *write(k: Kernel, cpu: Cpu, t: Thread, _file: OpenFile, addr: number, len: number): KernelGen<number> {
    if (len < CQE_BYTES || len % CQE_BYTES !== 0) return -EINVAL;
    const bytes = copyin(t, addr, len);
    if (bytes === null) return -EFAULT;
    let taken = 0;
    for (; taken < len; taken += CQE_BYTES) {
      const cqe = decodeCqe(bytes.subarray(taken, taken + CQE_BYTES));
      const req = this.scheme.inFlight.get(cqe.tag);
      if (req === undefined) break;
      this.scheme.inFlight.delete(cqe.tag);
      const r = yield* this.#answer(k, cpu, t, req, cqe.result);
      if (r < 0) return taken > 0 ? taken : r;
    }
    return taken > 0 ? taken : -EINVAL;
  }

  *#answer(k: Kernel, cpu: Cpu, t: Thread, req: SchemeRequest, result: number): KernelGen<number> {
    let reply: Uint8Array = new Uint8Array(0);
    const op = req.sqe.opcode;
    if (result > 0 && op === SCHEME_OP_READ) {
      const got = copyin(t, req.serverAddr, Math.min(result, req.replyCapBytes));
      if (got === null) return -EFAULT;
      reply = got;
    } else if (result === 0 && op === SCHEME_OP_FSTAT) {
      const got = copyin(t, req.serverAddr, req.replyCapBytes);
      if (got === null) return -EFAULT;
      reply = got;
    }
    yield spend(k.board.costs.schemePacketNs + copyCostNs(k, CQE_BYTES + reply.length));
    k.board.trace.mix(TraceKind.SchemeAnswer, req.sqe.tag, result >>> 0);
    if (req.abandoned) return 0;
    req.answered = true;
    req.result = result;
    req.reply = reply;
    if (req.waiter !== null) yield* k.wakeThread(cpu, req.waiter);
    return 0;
  }

  *fstat(_k: Kernel, t: Thread): KernelGen<StatInfo> {
    return {
      dev: SCHEME_DEV,
      ino: this.scheme.serverPid,
      mode: S_IFCHR | 0o600,
      nlink: 1,
      uid: t.process.uid,
      size: 0,
    };
  }

  /** Readable while requests wait; answers can always be written. */
  poll(): PollState {
    return { ready: (this.scheme.queue.length > 0 ? POLLIN : 0) | POLLOUT, queues: [this.scheme.serverWait] };
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    yield* this.scheme.die(k, cpu);
  }
}

function validName(name: string): boolean {
  return name.length > 0 && !name.includes(':') && !name.includes('/') && !name.includes('\0');
}

/** The root scheme (`:name`): makes user schemes. */
export const rootScheme: KernelScheme = {
  name: '',
  *open(k, _cpu, t, path, flags) {
    yield spend(k.board.costs.schemePacketNs);
    if ((flags & O_CREAT) === 0 || !validName(path)) return -EINVAL;
    if (new TextEncoder().encode(path).length > NAME_MAX) return -ENAMETOOLONG;
    if (t.process.uid !== 0) return -EACCES;
    const scheme = new UserScheme(path, t.process.pid);
    if (!registerScheme(k, scheme)) return -EEXIST;
    k.board.trace.mix(TraceKind.SchemeRegister, t.process.pid, 1);
    return new SchemeServerFile(scheme);
  },
};

addBuiltinScheme(() => rootScheme);
