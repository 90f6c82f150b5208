/**
 * Scheme-type units with real user schemes (SVC-1, models-2.md §10.1): a unit with
 * `type = { scheme = "name" }` registers scheme `name` (`open(":name", O_CREAT)`, the fd layer's
 * user schemes, docs/schemes.md) and serves it on a thread of its own before it writes its
 * readiness byte. On Redox the daemon hands init the scheme's capability fd over INIT_NOTIFY
 * (`SchemeDaemon::ready_with_fd`) and init registers it; smpsim passes no descriptors over pipes,
 * so the daemon registers it itself and init, on the byte, checks the name answers: it opens
 * `name:` (one OpenAt round trip to the server) and closes it. Ready means registered.
 *
 * What the server serves is the null device's contract (Redox's nulld): opens succeed, reads
 * are at end of file, writes take every byte. A failed registration (EEXIST: another server has
 * the name) ends the daemon with status 1 before readiness: init sees EOF, a failed start.
 */
import type { Program } from '../abi/effects.ts';
import { O_CLOEXEC, O_RDONLY } from '../abi/fd.ts';
import type { Guest } from '../abi/guest.ts';
import { errno } from '../libc/errno.ts';
import { close, open } from '../libc/io.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create } from '../libc/pthread.ts';
import { type SchemeHandler, scheme_register, scheme_serve } from '../libc/scheme-server.ts';

/** The server's request buffer: a 64-byte Sqe and up to 448 bytes of path or written data. */
const SERVE_BUF_BYTES = 512;

const NULL_SCHEME: SchemeHandler = {
  *open() {
    return 0;
  },
  *read() {
    return new Uint8Array(0);
  },
  *write(_t, _id, data) {
    return data.length;
  },
};

function* serve(t: Guest, raw: unknown): Program<number> {
  const fd = raw as number;
  const buf = yield* malloc(t, SERVE_BUF_BYTES);
  return yield* scheme_serve(t, fd, buf, SERVE_BUF_BYTES, NULL_SCHEME);
}

/** Registers `name` and starts serving it; the scheme's descriptor, or -errno. */
export function* provideScheme(t: Guest, name: string): Program<number> {
  const fd = yield* scheme_register(t, name);
  if (fd < 0) return -errno(t);
  const [err] = yield* pthread_create(t, null, serve, fd);
  if (err !== 0) throw new Error(`svc: scheme ${name}: server thread failed (${err})`);
  return fd;
}

/** Whether scheme `name` is registered and answers: 0, or -errno of the open (ENODEV, ENOENT …). */
export function* schemeAnswers(t: Guest, name: string): Program<number> {
  const fd = yield* open(t, `${name}:`, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno(t);
  yield* close(t, fd);
  return 0;
}
