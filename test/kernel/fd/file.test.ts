// The file: scheme through the libc calls (kernel/fd/, libc/io.ts): Linux's return values and
// errnos for open's flags, mkdir, rmdir, unlink, read/write/lseek offsets, O_APPEND, fstat and
// getdents64, exactly (fs/namei.c, fs/read_write.c, fs/readdir.c, mm/shmem.c).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EBADF,
  EEXIST,
  EINVAL,
  EISDIR,
  ENAMETOOLONG,
  ENODEV,
  ENOENT,
  ENOTDIR,
  ENOTEMPTY,
  EBUSY,
  ESPIPE,
} from '../../../src/abi/errno.ts';
import {
  DT_DIR,
  DT_REG,
  O_APPEND,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  S_IFDIR,
  S_IFREG,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  STAT_INO,
  STAT_MODE,
  STAT_NLINK,
  STAT_SIZE,
} from '../../../src/abi/fd.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { errno } from '../../../src/libc/errno.ts';
import {
  close,
  fstat,
  lseek,
  mkdir,
  open,
  openat,
  pipe,
  read,
  readdirAll,
  rmdir,
  unlink,
  write,
} from '../../../src/libc/io.ts';
import { getBytes, putBytes, readText, writeText } from '../../../src/libc/io-bytes.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import type { Program } from '../../../src/abi/effects.ts';
import { runGuest } from '../../support/guest.ts';

/** -errno for a failed call (-1 with errno set), else the result: one number per call. */
function* r(t: Guest, call: Program<number>): Program<number> {
  const v = yield* call;
  return v === -1 ? -errno(t) : v;
}

test('open: O_CREAT, O_EXCL, O_DIRECTORY, O_TRUNC and the path errors, as Linux', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    seen.push(yield* r(t, open(t, '/missing', O_RDONLY)));
    seen.push(yield* r(t, open(t, '', O_RDONLY)));
    seen.push(yield* r(t, open(t, '/a', O_CREAT | O_WRONLY, 0o666))); // 0: lowest free number
    seen.push(yield* r(t, open(t, '/a', O_CREAT | O_EXCL | O_WRONLY, 0o666)));
    seen.push(yield* r(t, open(t, '/a/b', O_RDONLY))); // through a regular file
    seen.push(yield* r(t, open(t, '/a/', O_RDONLY)));
    seen.push(yield* r(t, open(t, '/a', O_DIRECTORY)));
    seen.push(yield* r(t, open(t, '/', O_WRONLY)));
    seen.push(yield* r(t, open(t, '/', O_CREAT | O_RDONLY)));
    seen.push(yield* r(t, open(t, '/', O_RDONLY | O_TRUNC)));
    seen.push(yield* r(t, open(t, '/new/', O_CREAT | O_RDWR)));
    seen.push(yield* r(t, open(t, '/x', O_CREAT | O_DIRECTORY)));
    seen.push(yield* r(t, open(t, `/${'n'.repeat(256)}`, O_CREAT | O_RDWR)));
    seen.push(yield* r(t, open(t, '/nodir/f', O_CREAT | O_RDWR)));
    seen.push(yield* r(t, open(t, 'nosuch:thing', O_RDONLY))); // baseline: Redox's ENODEV
    seen.push(yield* r(t, open(t, 'file:/a', O_RDONLY))); // the scheme spelled out: fd 1
    seen.push(yield* r(t, open(t, '/', O_DIRECTORY | O_RDONLY)));
    return 0;
  }, null);
  assert.deepEqual(seen, [
    -ENOENT,
    -ENOENT,
    0,
    -EEXIST,
    -ENOTDIR,
    -ENOTDIR,
    -ENOTDIR,
    -EISDIR,
    -EISDIR,
    -EISDIR,
    -EISDIR,
    -EINVAL,
    -ENAMETOOLONG,
    -ENOENT,
    -ENODEV,
    1,
    2,
  ]);
});

test('an unknown scheme is ENOENT on the improved (Linux) kernel', () => {
  let got = 0;
  runGuest(
    function* (t) {
      got = yield* r(t, open(t, 'nosuch:thing', O_RDONLY));
      return 0;
    },
    null,
    { futex: { mode: 'linux', shards: 64 } },
  );
  assert.equal(got, -ENOENT);
});

test('mkdir, rmdir, unlink: EEXIST, ENOENT, ENOTDIR, ENOTEMPTY, EISDIR, EBUSY, EINVAL', () => {
  const seen: number[] = [];
  runGuest(function* (t) {
    seen.push(yield* r(t, mkdir(t, '/d')));
    seen.push(yield* r(t, mkdir(t, '/d')));
    seen.push(yield* r(t, mkdir(t, '/')));
    seen.push(yield* r(t, mkdir(t, '/no/sub')));
    const fd = yield* open(t, '/d/f', O_CREAT | O_WRONLY, 0o600);
    seen.push(fd);
    seen.push(yield* r(t, mkdir(t, '/d/f/g')));
    seen.push(yield* r(t, rmdir(t, '/d')));
    seen.push(yield* r(t, rmdir(t, '/d/f')));
    seen.push(yield* r(t, rmdir(t, '/')));
    seen.push(yield* r(t, rmdir(t, '/d/.')));
    seen.push(yield* r(t, rmdir(t, '/gone')));
    seen.push(yield* r(t, unlink(t, '/d')));
    seen.push(yield* r(t, unlink(t, '/d/f/')));
    seen.push(yield* r(t, unlink(t, '/d/f')));
    seen.push(yield* r(t, unlink(t, '/d/f')));
    seen.push(yield* r(t, rmdir(t, '/d')));
    seen.push(yield* r(t, open(t, '/d', O_RDONLY)));
    seen.push(yield* r(t, close(t, fd))); // the unlinked file was still open
    seen.push(yield* r(t, close(t, fd)));
    return 0;
  }, null);
  assert.deepEqual(seen, [
    0,
    -EEXIST,
    -EEXIST,
    -ENOENT,
    0,
    -ENOTDIR,
    -ENOTEMPTY,
    -ENOTDIR,
    -EBUSY,
    -EINVAL,
    -ENOENT,
    -EISDIR,
    -ENOTDIR,
    0,
    -ENOENT,
    0,
    -ENOENT,
    0,
    -EBADF,
  ]);
});

test('read, write, lseek and O_APPEND move one shared offset; a hole reads as zeros', () => {
  const seen: (number | string | null)[] = [];
  runGuest(function* (t) {
    const buf = yield* mmap_anonymous(t, 4096);
    const fd = yield* open(t, '/f', O_CREAT | O_RDWR, 0o644);
    seen.push(yield* writeText(t, fd, buf, 'hello world'));
    seen.push(yield* r(t, lseek(t, fd, 0, SEEK_CUR)));
    seen.push(yield* r(t, lseek(t, fd, 6, SEEK_SET)));
    seen.push(yield* readText(t, fd, buf, 100));
    seen.push(yield* readText(t, fd, buf, 100)); // at the end: ''
    seen.push(yield* r(t, lseek(t, fd, -1, SEEK_SET)));
    seen.push(yield* r(t, lseek(t, fd, 0, 7)));
    seen.push(yield* r(t, lseek(t, fd, 2, SEEK_END)));
    putBytes(t, buf, Uint8Array.of(0x21));
    seen.push(yield* r(t, write(t, fd, buf, 1)));
    seen.push(yield* r(t, lseek(t, fd, 10, SEEK_SET)));
    seen.push(yield* r(t, read(t, fd, buf, 10)));
    seen.push([...getBytes(t, buf, 4)].join(','));
    const app = yield* open(t, '/f', O_WRONLY | O_APPEND);
    seen.push(yield* writeText(t, app, buf, 'Z'));
    seen.push(yield* r(t, lseek(t, app, 0, SEEK_CUR)));
    seen.push(yield* r(t, read(t, app, buf, 1)));
    const ro = yield* open(t, '/f', O_RDONLY | O_TRUNC); // Linux truncates even O_RDONLY
    seen.push(yield* r(t, lseek(t, ro, 0, SEEK_END)));
    seen.push(yield* r(t, write(t, ro, buf, 1)));
    return 0;
  }, null);
  assert.deepEqual(seen, [
    11,
    11,
    6,
    'world',
    '',
    -EINVAL,
    -EINVAL,
    13,
    1,
    10,
    4,
    '100,0,0,33',
    1,
    15,
    -EBADF,
    0,
    -EBADF,
  ]);
});

test('fstat and getdents64: modes, sizes, inode numbers, and entries in creation order', () => {
  const seen: number[] = [];
  let names: string[] = [];
  runGuest(function* (t) {
    const buf = yield* mmap_anonymous(t, 4096);
    yield* mkdir(t, '/etc', 0o755);
    const f = yield* open(t, '/etc/b', O_CREAT | O_WRONLY, 0o666);
    yield* writeText(t, f, buf, 'abc');
    yield* fstat(t, f, buf);
    seen.push(t.load32(buf + STAT_MODE), t.load32(buf + STAT_SIZE), t.load32(buf + STAT_NLINK));
    const ino = t.load32(buf + STAT_INO);
    yield* close(t, yield* open(t, '/etc/a', O_CREAT | O_WRONLY, 0o600));
    yield* mkdir(t, '/etc/c');
    const d = yield* open(t, '/etc', O_RDONLY | O_DIRECTORY);
    yield* fstat(t, d, buf);
    seen.push(t.load32(buf + STAT_MODE), t.load32(buf + STAT_SIZE), t.load32(buf + STAT_NLINK));
    seen.push(yield* r(t, read(t, d, buf, 16)));
    seen.push(yield* r(t, lseek(t, d, 0, SEEK_END)));
    const entries = yield* readdirAll(t, d, buf + 256, 48); // 48 bytes: two records per call
    names = (entries ?? []).map((e) => `${e.name}:${e.type}:${e.name === 'b' ? e.ino - ino : '-'}`);
    const rel = yield* openat(t, d, 'b', O_RDONLY);
    seen.push(rel, yield* r(t, openat(t, f, 'b', O_RDONLY)), yield* r(t, openat(t, 99, 'b', O_RDONLY)));
    seen.push(yield* r(t, lseek(t, rel, 0, SEEK_END)));
    const pipeLike = yield* r(t, lseek(t, 99, 0, SEEK_SET));
    seen.push(pipeLike);
    return 0;
  }, null);
  assert.deepEqual(seen, [
    S_IFREG | 0o644, // 0o666 under umask 022
    3,
    1,
    S_IFDIR | 0o755,
    5 * 20, // tmpfs: 20 bytes per entry, . and .. included
    3, // ., the entry in /, and c's ..
    -EISDIR,
    -EINVAL,
    2,
    -ENOTDIR,
    -EBADF,
    3,
    -EBADF,
  ]);
  assert.deepEqual(names, [
    `.:${DT_DIR}:-`,
    `..:${DT_DIR}:-`,
    `b:${DT_REG}:0`,
    `a:${DT_REG}:-`,
    `c:${DT_DIR}:-`,
  ]);
});

test('lseek on a pipe is ESPIPE', () => {
  let got = 0;
  runGuest(function* (t) {
    const buf = yield* mmap_anonymous(t, 4096);
    yield* pipe(t, buf);
    got = yield* r(t, lseek(t, t.load32(buf), 0, SEEK_SET));
    return 0;
  }, null);
  assert.equal(got, -ESPIPE);
});
