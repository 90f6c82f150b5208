/**
 * The `network.<name>` user scheme a network driver serves (issue 18), after Redox's
 * redox-os/drivers net/driver-network/src/lib.rs `NetworkScheme` (e1000d names it
 * `network.<pci function>_e1000`, net/e1000d/src/main.rs; here `network.<nic>_e1000`):
 *
 * - open `""` gives a data handle, open `"mac"` the MAC handle; a caller other than root EACCES
 *   (`xopen`'s `caller_ctx.uid != 0`), any other path EINVAL;
 * - a read of a data handle is one received frame (at most the buffer's length); with no frame
 *   waiting the request is parked (the scheme's `blocked` list, answered when a frame comes),
 *   or EAGAIN under O_NONBLOCK (EWOULDBLOCK);
 * - a read of the MAC handle gives the 6 address bytes from the offset on; a write to it EINVAL;
 * - fstat: data `MODE_FILE | 0o700`, MAC `MODE_FILE | 0o400` and size 6; an unknown id EBADF;
 * - close forgets the handle.
 * - a write of a data handle is one frame to transmit (driver-network's `write` → the adapter's
 *   `write_packet`): the driver's `send` (e1000d-tx.ts) answers it with the bytes taken, or parks
 *   it while the ring is full; a driver that gives no `send` answers EOPNOTSUPP.
 *
 * Each request is read into a slot of its own (its Sqe and 2 KiB after it), held until it is
 * answered, since a Read's answer data goes into the buffer its request was read into
 * (libc/scheme-server.ts `scheme_next_request`).
 */
import type { Program } from '../../abi/effects.ts';
import { EACCES, EAGAIN, EBADF, EINVAL, ENOSYS, ENOTSUP } from '../../abi/errno.ts';
import { O_NONBLOCK, S_IFREG } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import {
  SCHEME_OP_CLOSE_MSG,
  SCHEME_OP_FSTAT,
  SCHEME_OP_OPENAT,
  SCHEME_OP_READ,
  SCHEME_OP_WRITE,
  SQE_BYTES,
  type Sqe,
} from '../../abi/scheme-packet.ts';
import { statBytes } from '../../abi/stat-bytes.ts';
import { putBytes } from '../../libc/io-bytes.ts';
import { scheme_answer, scheme_next_request, scheme_register } from '../../libc/scheme-server.ts';
import { mmap_anonymous } from '../../libc/sys.ts';

/** The largest frame a read answers with (an Ethernet frame fits; the e1000 buffers are 2 KiB). */
export const NET_FRAME_MAX = 2048;
const SLOT_BYTES = SQE_BYTES + NET_FRAME_MAX;
const MAC_BYTES = 6;

/** A request held in its slot until answered. */
export interface NetRequest {
  readonly slot: number;
  readonly sqe: Sqe;
  readonly data: Uint8Array;
}

/** Where a data read's frame comes from: the next frame, or null when none is waiting. */
export type TakeFrame = () => Program<Uint8Array | null>;

/** Transmits data write `req` (its frame is `req.data`): the answer (bytes or -errno), or null when parked. */
export type SendFrame = (req: NetRequest) => Program<number | null>;

export class NetScheme {
  readonly name: string;
  readonly fd: number;
  readonly mac: Uint8Array;
  readonly handles = new Map<number, 'data' | 'mac'>();
  /** Data reads waiting for a frame, oldest first (driver-network's `blocked`). */
  readonly blocked: NetRequest[] = [];
  /** Data handles opened and closed so far (a driver stops once its clients all closed). */
  opened = 0;
  closed = 0;
  framesAnswered = 0;
  blockedMax = 0;
  readonly #free: number[];
  #nextId = 0;

  constructor(name: string, fd: number, mac: Uint8Array, pool: number, slots: number) {
    this.name = name;
    this.fd = fd;
    this.mac = mac;
    this.#free = Array.from({ length: slots }, (_, i) => pool + i * SLOT_BYTES);
  }

  takeSlot(): number | undefined {
    return this.#free.pop();
  }

  freeSlot(slot: number): void {
    this.#free.push(slot);
  }

  newId(kind: 'data' | 'mac'): number {
    const id = ++this.#nextId;
    this.handles.set(id, kind);
    if (kind === 'data') this.opened++;
    return id;
  }
}

/** Registers `name` (root only; O_NONBLOCK for a loop that polls) with `slots` request slots. */
export function* netSchemeCreate(
  t: Guest,
  name: string,
  mac: Uint8Array,
  slots: number,
  flags: number,
): Program<NetScheme> {
  const fd = yield* scheme_register(t, name, flags);
  if (fd < 0) throw new Error(`net: registering ${name}: failed`);
  const pool = yield* mmap_anonymous(t, slots * SLOT_BYTES);
  return new NetScheme(name, fd, mac, pool, slots);
}

/** The next request in a free slot (Socket::next_request); null when none waits or it failed. */
export function* netNextRequest(t: Guest, s: NetScheme): Program<NetRequest | null> {
  const slot = s.takeSlot();
  if (slot === undefined) throw new Error(`net: ${s.name}: every request slot is held`);
  const got = yield* scheme_next_request(t, s.fd, slot, SLOT_BYTES);
  if (got === null) {
    s.freeSlot(slot);
    return null;
  }
  return { slot, sqe: got.sqe, data: got.data };
}

/** Answers `req` with `result` and frees its slot. */
export function* netAnswer(t: Guest, s: NetScheme, req: NetRequest, result: number): Program<void> {
  const w = yield* scheme_answer(t, s.fd, req.slot, req.sqe.tag, result);
  s.freeSlot(req.slot);
  if (w < 0) throw new Error(`net: ${s.name}: writing an answer failed`);
}

/** Answers data read `req` with `frame` (cut to the reader's length). */
export function* netAnswerFrame(t: Guest, s: NetScheme, req: NetRequest, frame: Uint8Array): Program<void> {
  const bytes = frame.subarray(0, Math.min(frame.length, req.sqe.args[2]));
  putBytes(t, req.sqe.args[1], bytes);
  s.framesAnswered++;
  yield* netAnswer(t, s, req, bytes.length);
}

function* openHandle(s: NetScheme, req: NetRequest): Program<number> {
  if (Math.floor(req.sqe.args[5] / 2 ** 32) !== 0) return -EACCES;
  const path = new TextDecoder().decode(req.data);
  if (path === '') return s.newId('data');
  if (path === 'mac') return s.newId('mac');
  return -EINVAL;
}

function* readHandle(t: Guest, s: NetScheme, req: NetRequest, take: TakeFrame): Program<number | null> {
  const [id, at, len, offset, flags] = req.sqe.args;
  const kind = s.handles.get(id);
  if (kind === undefined) return -EBADF;
  if (kind === 'mac') {
    const bytes = s.mac.subarray(Math.min(offset, MAC_BYTES)).subarray(0, len);
    putBytes(t, at, bytes);
    return bytes.length;
  }
  const frame = yield* take();
  if (frame !== null) {
    yield* netAnswerFrame(t, s, req, frame);
    return null;
  }
  if ((flags & O_NONBLOCK) !== 0) return -EAGAIN;
  s.blocked.push(req); // parked: no answer until a frame comes
  s.blockedMax = Math.max(s.blockedMax, s.blocked.length);
  return null;
}

function fstatHandle(t: Guest, s: NetScheme, req: NetRequest): number {
  const kind = s.handles.get(req.sqe.args[0]);
  if (kind === undefined) return -EBADF;
  const mac = kind === 'mac';
  const info = { dev: 0, ino: req.sqe.args[0], mode: S_IFREG | (mac ? 0o400 : 0o700), nlink: 1, uid: 0 };
  putBytes(t, req.sqe.args[1], statBytes({ ...info, size: mac ? MAC_BYTES : 0 }));
  return 0;
}

/**
 * One request (SchemeBlock's dispatch): answered now, or, a data read with no frame, parked on
 * `s.blocked`. `take` must not yield between finding no frame and returning null when frames
 * arrive from another thread, so a read is never parked after its frame was queued.
 */
export function* netHandle(
  t: Guest,
  s: NetScheme,
  req: NetRequest,
  take: TakeFrame,
  send?: SendFrame,
): Program<void> {
  const op = req.sqe.opcode;
  let result: number | null;
  if (op === SCHEME_OP_OPENAT) result = yield* openHandle(s, req);
  else if (op === SCHEME_OP_READ) result = yield* readHandle(t, s, req, take);
  else if (op === SCHEME_OP_FSTAT) result = fstatHandle(t, s, req);
  else if (op === SCHEME_OP_WRITE) {
    const kind = s.handles.get(req.sqe.args[0]);
    if (kind === undefined) result = -EBADF;
    else if (kind === 'mac') result = -EINVAL;
    else result = send === undefined ? -ENOTSUP : yield* send(req);
  } else if (op === SCHEME_OP_CLOSE_MSG) {
    if (s.handles.get(req.sqe.args[0]) === 'data') s.closed++;
    s.handles.delete(req.sqe.args[0]);
    s.freeSlot(req.slot); // a close is never answered
    return;
  } else result = -ENOSYS;
  if (result !== null) yield* netAnswer(t, s, req, result);
}

/** Answers parked reads, oldest first, while `take` has frames; returns how many. */
export function* netServeBlocked(t: Guest, s: NetScheme, take: TakeFrame): Program<number> {
  let served = 0;
  while (s.blocked.length > 0) {
    const frame = yield* take();
    if (frame === null) break;
    const req = s.blocked.shift()!;
    yield* netAnswerFrame(t, s, req, frame);
    served++;
  }
  return served;
}
