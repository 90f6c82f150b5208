/**
 * A scheme server's loop, as Redox's redox-scheme crate gives daemons (`Socket::create`,
 * `next_request`, `write_response`): register a scheme, read one request at a time from its
 * descriptor, hand it to the handler, write the answer back. Packets: abi/scheme-packet.ts.
 *
 * A request's data comes after its Sqe in the read buffer (the open path, the bytes written);
 * a Read or Fstat answer's data goes at `args[1]`, the space after the Sqe, at most `args[2]`
 * bytes. An opcode the handler has no member for is answered ENOSYS; a CloseMsg gets no answer.
 */
import type { Program } from '../abi/effects.ts';
import { ENOSYS } from '../abi/errno.ts';
import { O_CLOEXEC, O_CREAT, O_RDWR, type StatInfo } from '../abi/fd.ts';
import type { Guest } from '../abi/guest.ts';
import {
  CQE_BYTES,
  CQE_RESPOND_REGULAR,
  decodeSqe,
  encodeCqe,
  SCHEME_OP_CLOSE_MSG,
  SCHEME_OP_FSTAT,
  SCHEME_OP_OPENAT,
  SCHEME_OP_READ,
  SCHEME_OP_WRITE,
  SQE_BYTES,
  type Sqe,
} from '../abi/scheme-packet.ts';
import { statBytes } from '../abi/stat-bytes.ts';
import { open, read, write } from './io.ts';
import { getBytes, putBytes } from './io-bytes.ts';

/** What a server does with each kind of request; results are ids, byte counts or -errno. */
export interface SchemeHandler {
  open?(t: Guest, path: string, flags: number, uid: number): Program<number>;
  read?(t: Guest, id: number, len: number, offset: number): Program<Uint8Array | number>;
  write?(t: Guest, id: number, data: Uint8Array, offset: number): Program<number>;
  fstat?(t: Guest, id: number): Program<StatInfo | number>;
  close?(t: Guest, id: number): Program<void>;
}

/** Registers scheme `name` (root only); its descriptor, or -1 with errno (EEXIST, EACCES …). */
export function scheme_register(t: Guest, name: string, flags = 0): Program<number> {
  return open(t, `:${name}`, O_CREAT | O_RDWR | O_CLOEXEC | flags);
}

/** The handler's answer to `sqe` (its data already at args[1] for Read and Fstat), or null for none. */
function* dispatch(t: Guest, h: SchemeHandler, sqe: Sqe, data: Uint8Array): Program<number | null> {
  const [id, bufAddr, len, offsetOrFlags] = sqe.args;
  switch (sqe.opcode) {
    case SCHEME_OP_OPENAT:
      return h.open === undefined
        ? -ENOSYS
        : yield* h.open(t, new TextDecoder().decode(data), offsetOrFlags, Math.floor(sqe.args[5] / 2 ** 32));
    case SCHEME_OP_READ: {
      if (h.read === undefined) return -ENOSYS;
      const got = yield* h.read(t, id, len, offsetOrFlags);
      if (typeof got === 'number') return got;
      const bytes = got.subarray(0, len);
      putBytes(t, bufAddr, bytes);
      return bytes.length;
    }
    case SCHEME_OP_WRITE:
      return h.write === undefined ? -ENOSYS : yield* h.write(t, id, data, offsetOrFlags);
    case SCHEME_OP_FSTAT: {
      if (h.fstat === undefined) return -ENOSYS;
      const info = yield* h.fstat(t, id);
      if (typeof info === 'number') return info;
      putBytes(t, bufAddr, statBytes(info));
      return 0;
    }
    case SCHEME_OP_CLOSE_MSG:
      if (h.close !== undefined) yield* h.close(t, id);
      return null;
    default:
      return -ENOSYS;
  }
}

/**
 * Serves one request from scheme descriptor `fd` through the `bufBytes`-byte buffer at `buf`
 * (at least SQE_BYTES; the rest bounds the data a request carries). Returns the request's
 * opcode, or -1 with errno set when reading it or writing the answer failed.
 */
export function* scheme_serve_one(
  t: Guest,
  fd: number,
  buf: number,
  bufBytes: number,
  h: SchemeHandler,
): Program<number> {
  const req = yield* scheme_next_request(t, fd, buf, bufBytes);
  if (req === null) return -1;
  const result = yield* dispatch(t, h, req.sqe, req.data);
  if (result === null) return req.sqe.opcode;
  const w = yield* scheme_answer(t, fd, buf, req.sqe.tag, result);
  return w < 0 ? -1 : req.sqe.opcode;
}

/** A request as read: its Sqe and the data that came with it (an open's path, written bytes). */
export interface SchemeRequestIn {
  readonly sqe: Sqe;
  readonly data: Uint8Array;
}

/**
 * Reads one request into the `bufBytes`-byte buffer at `buf` (Redox's `Socket::next_request`);
 * null with errno set when the read failed (EAGAIN on a non-blocking descriptor with none
 * waiting). A Read's answer data goes at `sqe.args[1]`, inside this buffer: a server that
 * answers later (a request it parks) keeps the buffer for it until then.
 */
export function* scheme_next_request(
  t: Guest,
  fd: number,
  buf: number,
  bufBytes: number,
): Program<SchemeRequestIn | null> {
  const n = yield* read(t, fd, buf, bufBytes);
  if (n < 0) return null;
  const sqe = decodeSqe(getBytes(t, buf, SQE_BYTES));
  const hasData = sqe.opcode === SCHEME_OP_OPENAT || sqe.opcode === SCHEME_OP_WRITE;
  const data = hasData ? getBytes(t, buf + SQE_BYTES, n - SQE_BYTES) : new Uint8Array(0);
  return { sqe, data };
}

/**
 * Answers request `tag` with `result` (Redox's `write_response`): a Cqe written from `buf`, the
 * request's own buffer (its Sqe is decoded already; a Read's data after it stays put). The
 * write's result: CQE_BYTES, or -1 with errno set.
 */
export function* scheme_answer(
  t: Guest,
  fd: number,
  buf: number,
  tag: number,
  result: number,
): Program<number> {
  putBytes(t, buf, encodeCqe({ flags: CQE_RESPOND_REGULAR, tag, result }));
  return yield* write(t, fd, buf, CQE_BYTES);
}

/**
 * Serves requests until `stop()` says so (checked before each) or a read fails (errno set);
 * returns the number served.
 */
export function* scheme_serve(
  t: Guest,
  fd: number,
  buf: number,
  bufBytes: number,
  h: SchemeHandler,
  stop: () => boolean = () => false,
): Program<number> {
  let served = 0;
  while (!stop()) {
    const r = yield* scheme_serve_one(t, fd, buf, bufBytes, h);
    if (r < 0) return served;
    served++;
  }
  return served;
}
