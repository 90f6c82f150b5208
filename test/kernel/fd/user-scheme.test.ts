// User scheme servers (kernel/fd/user-scheme.ts, scheme-server.ts, libc/scheme-server.ts): a
// guest ramdisk server registers `ram:` and serves open/write/read/fstat/close requests from
// clients pinned to different CPUs, exact results; registration errors; O_NONBLOCK on the
// scheme descriptor; the bounded queue (SVC-7: EBUSY on the improved kernel, unbounded on
// Redox); server death (EIO on the improved kernel; Redox leaves the clients blocked).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EACCES, EAGAIN, EBUSY, EEXIST, EINVAL, EIO, ENOENT } from '../../../src/abi/errno.ts';
import {
  F_SETFL,
  O_CREAT,
  O_NONBLOCK,
  O_RDWR,
  S_IFREG,
  SEEK_SET,
  STAT_MODE,
  STAT_SIZE,
} from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SQE_BYTES } from '../../../src/abi/scheme-packet.ts';
import { errno } from '../../../src/libc/errno.ts';
import { fork } from '../../../src/libc/fork.ts';
import { close, fcntl, fstat, lseek, open, pipe, read, write } from '../../../src/libc/io.ts';
import { readText, writeText } from '../../../src/libc/io-bytes.ts';
import { setuid } from '../../../src/libc/proc-handles.ts';
import { waitpid } from '../../../src/libc/process.ts';
import { sched_getcpu, sched_setaffinity_cpus } from '../../../src/libc/sched.ts';
import {
  type SchemeHandler,
  scheme_register,
  scheme_serve,
  scheme_serve_one,
} from '../../../src/libc/scheme-server.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

const LINUX = { futex: { mode: 'linux', shards: 64 } } as const;
const BUF_BYTES = 4096;

function* r(t: Guest, call: Program<number>): Program<number> {
  const v = yield* call;
  return v === -1 ? -errno(t) : v;
}

/** A ramdisk: files by path, handles by id, as a scheme handler. */
function ramdisk(): SchemeHandler & { files: Map<string, Uint8Array>; closed: number[] } {
  const files = new Map<string, Uint8Array>();
  const handles = new Map<number, string>();
  const closed: number[] = [];
  let nextId = 1;
  return {
    files,
    closed,
    *open(_t, path, flags) {
      if (!files.has(path)) {
        if ((flags & O_CREAT) === 0) return -ENOENT;
        files.set(path, new Uint8Array(0));
      }
      handles.set(nextId, path);
      return nextId++;
    },
    *read(_t, id, len, offset) {
      const data = files.get(handles.get(id)!)!;
      return data.slice(offset, offset + len);
    },
    *write(_t, id, data, offset) {
      const path = handles.get(id)!;
      const old = files.get(path)!;
      const next = new Uint8Array(Math.max(old.length, offset + data.length));
      next.set(old);
      next.set(data, offset);
      files.set(path, next);
      return data.length;
    },
    *fstat(_t, id) {
      return {
        dev: 9,
        ino: id,
        mode: S_IFREG | 0o644,
        nlink: 1,
        uid: 0,
        size: files.get(handles.get(id)!)!.length,
      };
    },
    *close(_t, id) {
      closed.push(id);
      handles.delete(id);
    },
  };
}

/** Forks a server that registers `name`, says so through a pipe, and serves `requests` requests. */
function* startServer(t: Guest, name: string, handler: SchemeHandler, requests: number): Program<number> {
  const buf = yield* mmap_anonymous(t, BUF_BYTES);
  yield* pipe(t, buf);
  const [rd, wr] = [t.load32(buf), t.load32(buf + 4)];
  const pid = yield* fork(t, function* (s) {
    yield* close(s, rd);
    const fd = yield* scheme_register(s, name);
    yield* writeText(s, wr, buf, fd >= 0 ? 'y' : 'n');
    yield* close(s, wr);
    let served = 0;
    yield* scheme_serve(s, fd, buf, BUF_BYTES, handler, () => served++ >= requests);
    return 0;
  });
  yield* close(t, wr);
  assert.equal(yield* readText(t, rd, buf, 1), 'y');
  yield* close(t, rd);
  return pid;
}

test('a ramdisk server answers clients on three CPUs: open, write, lseek, read, fstat, close', () => {
  const disk = ramdisk();
  const results: string[] = [];
  const cpusSeen = new Set<number>();
  runGuest(
    function* (t) {
      yield* sched_setaffinity_cpus(t, 0, [0]);
      const server = yield* startServer(t, 'ram', disk, 3 * 5);
      const clients: number[] = [];
      for (let c = 1; c <= 3; c++) {
        clients.push(
          yield* fork(t, function* (g) {
            yield* sched_setaffinity_cpus(g, 0, [c]);
            cpusSeen.add(yield* sched_getcpu(g));
            const buf = yield* mmap_anonymous(g, BUF_BYTES);
            const fd = yield* open(g, `ram:/f${c}`, O_CREAT | O_RDWR);
            const wrote = yield* writeText(g, fd, buf, `client ${c} was here`);
            const back = yield* lseek(g, fd, 7, SEEK_SET);
            const text = yield* readText(g, fd, buf, 100);
            yield* fstat(g, fd, buf);
            const size = g.load32(buf + STAT_SIZE);
            const mode = g.load32(buf + STAT_MODE);
            results[c - 1] = `${fd} ${wrote} ${back} ${text} ${size} ${mode === (S_IFREG | 0o644)}`;
            yield* close(g, fd);
            return 0;
          }),
        );
      }
      for (const pid of clients) yield* waitpid(t, pid);
      const [, status] = yield* waitpid(t, server);
      assert.equal(status, 0);
      return 0;
    },
    null,
    { cpus: 4 },
  );
  assert.deepEqual(results, [
    '0 17 7 1 was here 17 true',
    '0 17 7 2 was here 17 true',
    '0 17 7 3 was here 17 true',
  ]);
  assert.deepEqual([...cpusSeen].sort(), [1, 2, 3]);
  assert.deepEqual([...disk.files].map(([p, d]) => `${p}=${new TextDecoder().decode(d)}`).sort(), [
    '/f1=client 1 was here',
    '/f2=client 2 was here',
    '/f3=client 3 was here',
  ]);
  assert.deepEqual([...disk.closed].sort(), [1, 2, 3]);
});

test('registering: EEXIST for a taken name, EACCES for a non-root user, EINVAL without O_CREAT', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    const fd = yield* scheme_register(t, 'one');
    seen.push(fd, yield* r(t, scheme_register(t, 'one')));
    seen.push(yield* r(t, open(t, ':two', O_RDWR)), yield* r(t, scheme_register(t, 'a/b')));
    const buf = yield* mmap_anonymous(t, BUF_BYTES);
    seen.push(yield* r(t, fcntl(t, fd, F_SETFL, O_NONBLOCK)), yield* r(t, read(t, fd, buf, BUF_BYTES)));
    seen.push(yield* r(t, read(t, fd, buf, SQE_BYTES - 1)), yield* r(t, write(t, fd, buf, 16)));
    yield* close(t, fd);
    seen.push(yield* r(t, scheme_register(t, 'one'))); // the name is free again
    const child = yield* fork(t, function* (c) {
      yield* setuid(c, 1000);
      return -(yield* r(c, scheme_register(c, 'mine')));
    });
    const [, status] = yield* waitpid(t, child);
    seen.push(status >> 8);
    return 0;
  }, null);
  assert.deepEqual(seen, [0, -EEXIST, -EINVAL, -EINVAL, 0, -EAGAIN, -EINVAL, -EINVAL, 0, EACCES]);
});

/**
 * A server that registers `q`, then waits (on a pipe) while `clients` clients each open `q:x`;
 * then it serves everything queued. Returns each client's open result and the server's count.
 */
function queueRun(options: object, clients: number, queueMax?: number): [number[], number] {
  const got: number[] = [];
  let served = 0;
  const fdOptions =
    queueMax === undefined ? {} : { fd: { mode: 'linux' as const, schemeQueueMax: queueMax } };
  runGuest(
    function* (t) {
      const buf = yield* mmap_anonymous(t, BUF_BYTES);
      const fd = yield* scheme_register(t, 'q');
      const pids: number[] = [];
      for (let c = 0; c < clients; c++) {
        pids.push(
          yield* fork(t, function* (g) {
            got[c] = yield* r(g, open(g, 'q:x', O_RDWR));
            return 0;
          }),
        );
        yield* sched_getcpu(t); // a system call: lets the child run and queue its open
        for (let i = 0; i < 20; i++) yield t.compute(30000);
      }
      const handler: SchemeHandler = {
        *open() {
          return 7;
        },
      };
      for (;;) {
        yield* fcntl(t, fd, F_SETFL, O_NONBLOCK);
        const op = yield* scheme_serve_one(t, fd, buf, BUF_BYTES, handler);
        if (op < 0) break;
        served++;
      }
      for (const pid of pids) yield* waitpid(t, pid);
      return 0;
    },
    null,
    { ...options, ...fdOptions, cpus: 2 },
  );
  return [got, served];
}

test('SVC-7: the improved kernel bounds a scheme queue (EBUSY); Redox queues without bound', () => {
  assert.deepEqual(queueRun(LINUX, 5, 3), [[1, 1, 1, -EBUSY, -EBUSY], 3]); // fd 1: 0 is the inherited scheme fd
  assert.deepEqual(queueRun({}, 5), [[1, 1, 1, 1, 1], 5]);
});

/** A server takes one open and exits without answering it; what the client gets, and a later open. */
function serverDies(options: object): { first: number | null; later: number | null; reason: string } {
  let first: number | null = null;
  let later: number | null = null;
  const run = runGuest(
    function* (t) {
      const buf = yield* mmap_anonymous(t, BUF_BYTES);
      const fd = yield* scheme_register(t, 'gone');
      const server = yield* fork(t, function* (s) {
        yield* read(s, fd, buf, BUF_BYTES); // takes the request, never answers
        return 0;
      });
      yield* close(t, fd); // the server's copy is the last
      first = yield* r(t, open(t, 'gone:x', O_RDWR));
      later = yield* r(t, open(t, 'gone:y', O_RDWR));
      yield* waitpid(t, server);
      return 0;
    },
    null,
    { ...options, cpus: 2 },
  );
  return { first, later, reason: run.kernel.stopReason ?? String(run.reason) };
}

test('server death: EIO to pending clients on the improved kernel, then ENOENT; Redox leaves them blocked', () => {
  const linux = serverDies(LINUX);
  assert.equal(linux.first, -EIO);
  assert.equal(linux.later, -ENOENT);
  const redox = serverDies({});
  assert.equal(redox.first, null); // never answered
  assert.match(redox.reason, /deadlock/i);
  assert.match(redox.reason, /scheme:gone/);
});
