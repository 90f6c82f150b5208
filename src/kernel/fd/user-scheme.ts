/**
 * User schemes, the client side (redox-os/kernel src/scheme/user.rs `UserInner::call`): an
 * open, read, write or fstat on `name:…` becomes a request packet (abi/scheme-packet.ts)
 * queued to the server that registered `name`; the client thread blocks until the server
 * writes the answer. The kernel copies the client's data in when it queues a request (the
 * path, the bytes written) and copies the answer's data out when the client resumes (the
 * bytes read, the struct stat), each copy charged at userCopyNsPerKiB; a packet costs
 * schemePacketNs. A close sends a one-way CloseMsg, as Redox's does.
 *
 * Baseline and improved differ (kernel/fd/mode.ts):
 * - the queue: unbounded on Redox; bounded on the improved kernel, EBUSY when full (SVC-7);
 * - a signal: Redox keeps a waiting client blocked (it sends a Cancel and waits again; only
 *   SIGKILL ends the wait, with EINTR); the improved kernel returns EINTR at once;
 * - server death: Redox answers nothing, so its pending clients stay blocked (the deadlock
 *   report names them); the improved kernel fails them with EIO (as FUSE aborts a dead
 *   daemon's requests). Either way the name is freed and later opens fail as for no scheme.
 */
import { EBUSY, EFAULT, EINTR, EINVAL, EIO, ENODEV } from '../../abi/errno.ts';
import {
  SCHEME_OP_CLOSE_MSG,
  SCHEME_OP_FSTAT,
  SCHEME_OP_OPENAT,
  SCHEME_OP_READ,
  SCHEME_OP_WRITE,
  SQE_ONEWAY,
  type Sqe,
} from '../../abi/scheme-packet.ts';
import { SEEK_CUR, SEEK_SET, STAT_BYTES, type StatInfo } from '../../abi/fd.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import type { Thread } from '../thread.ts';
import { NO_TIMEOUT } from '../timeout.ts';
import { copyin, copyout } from '../uaccess.ts';
import { copyCostNs } from './costs.ts';
import { fdMode, schemeQueueMax } from './mode.ts';
import type { OpenFile } from './open-file.ts';
import type { KernelScheme, SchemeFile } from './scheme.ts';
import { unregisterScheme } from './scheme.ts';
import { statFromBytes } from '../../abi/stat-bytes.ts';
import { WaitQueue } from './wait-queue.ts';

/** One request: its packet, the data that goes with it, and its answer once given. */
export interface SchemeRequest {
  sqe: Sqe;
  /** What the server gets after the Sqe (a path, the bytes written); empty for none. */
  payload: Uint8Array;
  /** Read, Fstat: how many bytes the server may answer with. */
  replyCapBytes: number;
  /** The blocked client, or null for a one-way packet. */
  waiter: Thread | null;
  /** Where the server was told to put its answer's data (set when it reads the request). */
  serverAddr: number;
  answered: boolean;
  result: number;
  /** The answer's data, copied from the server's memory when it answered. */
  reply: Uint8Array;
  /** The client stopped waiting (a kill, or EINTR): an answer is dropped. */
  abandoned: boolean;
}

export class UserScheme implements KernelScheme {
  readonly name: string;
  readonly serverPid: number;
  readonly queue: SchemeRequest[] = [];
  /** Requests the server has read and not yet answered, by tag. */
  readonly inFlight = new Map<number, SchemeRequest>();
  readonly serverWait = new WaitQueue('scheme-server');
  dead = false;
  #nextTag = 1;

  constructor(name: string, serverPid: number) {
    this.name = name;
    this.serverPid = serverPid;
  }

  *open(k: Kernel, cpu: Cpu, t: Thread, path: string, flags: number): KernelGen<SchemeFile | number> {
    const bytes = new TextEncoder().encode(path);
    const args = [0, 0, bytes.length, flags, 0, callerIds(t)] as Sqe['args'];
    const answer = yield* this.call(k, cpu, t, SCHEME_OP_OPENAT, args, bytes, 0);
    return answer.result < 0 ? answer.result : new UserSchemeFile(this, answer.result);
  }

  /** Queues a request and blocks `t` until its answer; the answered request, or one with -errno. */
  *call(
    k: Kernel,
    cpuAtEntry: Cpu,
    t: Thread,
    opcode: number,
    args: Sqe['args'],
    payload: Uint8Array,
    replyCapBytes: number,
  ): KernelGen<SchemeRequest> {
    const req = this.#request(t, t.process.pid, opcode, args, payload, replyCapBytes);
    if (this.dead) return failed(req, fdMode(k) === 'linux' ? -EIO : -ENODEV);
    if (this.queue.length >= schemeQueueMax(k)) return failed(req, -EBUSY);
    yield spend(k.board.costs.schemePacketNs + copyCostNs(k, payload.length));
    yield* this.#enqueue(k, cpuAtEntry, req);
    let cpu = cpuAtEntry;
    while (!req.answered) {
      const linux = fdMode(k) === 'linux';
      if (t.killPending || (linux && signalPending(t))) {
        req.abandoned = true;
        return failed(req, -EINTR);
      }
      k.blockCurrent(cpu, t, `scheme:${this.name}`, NO_TIMEOUT);
      yield* schedule(k, cpu);
      cpu = k.cpuOf(t);
    }
    return req;
  }

  #request(
    waiter: Thread | null,
    caller: number,
    opcode: number,
    args: Sqe['args'],
    payload: Uint8Array,
    cap: number,
  ): SchemeRequest {
    const oneway = waiter === null;
    const sqe = { opcode, flags: oneway ? SQE_ONEWAY : 0, tag: oneway ? 0 : this.#nextTag++, args, caller };
    return {
      sqe,
      payload,
      replyCapBytes: cap,
      waiter,
      serverAddr: 0,
      answered: false,
      result: 0,
      reply: new Uint8Array(0),
      abandoned: false,
    };
  }

  *#enqueue(k: Kernel, cpu: Cpu, req: SchemeRequest): KernelGen<void> {
    this.queue.push(req);
    k.board.trace.mix(TraceKind.SchemeRequest, req.sqe.tag, req.sqe.opcode);
    yield* this.serverWait.wakeAll(k, cpu);
  }

  /** A one-way packet (CloseMsg, tag 0, caller 0 as Redox sends it): queued whatever the bound. */
  *send(k: Kernel, cpu: Cpu, opcode: number, args: Sqe['args']): KernelGen<void> {
    if (this.dead) return;
    yield spend(k.board.costs.schemePacketNs);
    yield* this.#enqueue(k, cpu, this.#request(null, 0, opcode, args, new Uint8Array(0), 0));
  }

  /**
   * The server's descriptor went: the name is freed; pending clients get EIO on the improved
   * kernel and are left waiting on Redox (see the module comment).
   */
  *die(k: Kernel, cpu: Cpu): KernelGen<void> {
    this.dead = true;
    unregisterScheme(k, this.name);
    k.board.trace.mix(TraceKind.SchemeRegister, this.serverPid, 0);
    const pending = [...this.queue, ...this.inFlight.values()];
    this.queue.length = 0;
    this.inFlight.clear();
    if (fdMode(k) === 'redox') return;
    for (const req of pending) {
      if (req.waiter === null || req.abandoned) continue;
      req.answered = true;
      req.result = -EIO;
      yield* k.wakeThread(cpu, req.waiter);
    }
  }
}

function failed(req: SchemeRequest, errno: number): SchemeRequest {
  req.answered = true;
  req.result = errno;
  return req;
}

/** Redox passes the caller's uid and gid in the last argument (uid_gid_hack_merge). */
function callerIds(t: Thread): number {
  return t.process.uid * 2 ** 32;
}

/** A client's open file on a user scheme: the server's id for it, and its calls as requests. */
export class UserSchemeFile implements SchemeFile {
  constructor(
    readonly scheme: UserScheme,
    readonly id: number,
  ) {}

  *read(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const args = [this.id, 0, len, file.offsetBytes, file.flags, callerIds(t)] as Sqe['args'];
    const answer = yield* this.scheme.call(k, cpu, t, SCHEME_OP_READ, args, new Uint8Array(0), len);
    if (answer.result < 0) return answer.result;
    yield spend(copyCostNs(k, answer.reply.length));
    if (!copyout(t, addr, answer.reply)) return -EFAULT;
    file.offsetBytes += answer.reply.length;
    return answer.reply.length;
  }

  *write(k: Kernel, cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const data = copyin(t, addr, len);
    if (data === null) return -EFAULT;
    const args = [this.id, 0, len, file.offsetBytes, file.flags, callerIds(t)] as Sqe['args'];
    const answer = yield* this.scheme.call(k, cpu, t, SCHEME_OP_WRITE, args, data, 0);
    if (answer.result < 0) return answer.result;
    const taken = Math.min(answer.result, len);
    file.offsetBytes += taken;
    return taken;
  }

  *fstat(k: Kernel, t: Thread): KernelGen<StatInfo | number> {
    const args = [this.id, 0, STAT_BYTES, 0, 0, callerIds(t)] as Sqe['args'];
    const answer = yield* this.scheme.call(
      k,
      k.cpuOf(t),
      t,
      SCHEME_OP_FSTAT,
      args,
      new Uint8Array(0),
      STAT_BYTES,
    );
    if (answer.result < 0) return answer.result;
    if (answer.reply.length < STAT_BYTES) return -EIO;
    return statFromBytes(answer.reply);
  }

  /** Offsets are the kernel's (Redox fs.rs lseek); SEEK_END would need the server's size: EINVAL. */
  seek(file: OpenFile, offset: number, whence: number): number {
    if (whence !== SEEK_SET && whence !== SEEK_CUR) return -EINVAL;
    const to = (whence === SEEK_SET ? 0 : file.offsetBytes) + offset;
    if (!Number.isSafeInteger(to) || to < 0) return -EINVAL;
    file.offsetBytes = to;
    return to;
  }

  *close(k: Kernel, cpu: Cpu): KernelGen<void> {
    yield* this.scheme.send(k, cpu, SCHEME_OP_CLOSE_MSG, [this.id, 0, 0, 0, 0, 0]);
  }
}
