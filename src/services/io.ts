/**
 * The few descriptor operations the services make, over libc's POSIX calls (libc/io.ts, the
 * `file:` and `pipe:` schemes): whole-file reads of unit files, directory listings, the
 * INIT_NOTIFY pipe's one byte, marker files. Each helper owns one small buffer per thread.
 */
import type { Program } from '../abi/effects.ts';
import {
  FD_CLOEXEC,
  F_SETFD,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
} from '../abi/fd.ts';
import type { Guest } from '../abi/guest.ts';
import { close, fcntl, open, pipe2, read, readdirAll, write } from '../libc/io.ts';
import { readText, writeText } from '../libc/io-bytes.ts';
import { malloc } from '../libc/malloc.ts';

/** Bytes read per read(2) of a unit file; files are a few hundred bytes. */
const CHUNK_BYTES = 512;

function* buffer(t: Guest): Program<number> {
  const key = 'servicesIoBuffer';
  const have = t.data[key] as Record<number, number> | undefined;
  const table = have ?? {};
  if (have === undefined) t.data[key] = table;
  table[t.tid] ??= yield* malloc(t, CHUNK_BYTES);
  return table[t.tid]!;
}

/** The whole file at `path` as text, or null when it cannot be opened or read. */
export function* readFileText(t: Guest, path: string): Program<string | null> {
  const fd = yield* open(t, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return null;
  const buf = yield* buffer(t);
  let text = '';
  for (;;) {
    const part = yield* readText(t, fd, buf, CHUNK_BYTES);
    if (part === null) {
      yield* close(t, fd);
      return null;
    }
    if (part === '') break;
    text += part;
  }
  yield* close(t, fd);
  return text;
}

/** The names in directory `path` (without `.` and `..`), sorted; null if it cannot be read. */
export function* listDir(t: Guest, path: string): Program<string[] | null> {
  const fd = yield* open(t, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return null;
  const buf = yield* buffer(t);
  const entries = yield* readdirAll(t, fd, buf, CHUNK_BYTES);
  yield* close(t, fd);
  if (entries === null) return null;
  return entries
    .map((e) => e.name)
    .filter((n) => n !== '.' && n !== '..')
    .sort();
}

/** A pipe whose ends close on exec/spawn, as [readFd, writeFd]; null on an error. */
export function* cloexecPipe(t: Guest): Program<[number, number] | null> {
  const buf = yield* buffer(t);
  if ((yield* pipe2(t, buf, O_CLOEXEC)) < 0) return null;
  return [t.load32(buf), t.load32(buf + 4)];
}

/** Lets `fd` be inherited by the next spawn (clears FD_CLOEXEC). */
export function* inheritable(t: Guest, fd: number, yes: boolean): Program<number> {
  return yield* fcntl(t, fd, F_SETFD, yes ? 0 : FD_CLOEXEC);
}

/** Writes one zero byte (Redox `Daemon::ready`). */
export function* writeByte(t: Guest, fd: number): Program<number> {
  const buf = yield* buffer(t);
  t.store32(buf, 0);
  return yield* write(t, fd, buf, 1);
}

/** Reads one byte: 1 got it, 0 EOF, -1 an error. */
export function* readByte(t: Guest, fd: number): Program<number> {
  const buf = yield* buffer(t);
  return yield* read(t, fd, buf, 1);
}

export function closeFd(t: Guest, fd: number): Program<number> {
  return close(t, fd);
}

/** Creates (or truncates) `path` holding `text`; write's result or -1. */
export function* writeFileText(t: Guest, path: string, text: string): Program<number> {
  const fd = yield* open(t, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644);
  if (fd < 0) return -1;
  const buf = yield* buffer(t);
  let written = 0;
  // Chunks of at most CHUNK_BYTES characters: UTF-8 can take up to 4 bytes a character.
  const step = CHUNK_BYTES / 4;
  for (let at = 0; at < text.length; at += step) {
    const r = yield* writeText(t, fd, buf, text.slice(at, at + step));
    if (r < 0) {
      yield* close(t, fd);
      return -1;
    }
    written += r;
  }
  yield* close(t, fd);
  return written;
}

/** Whether `path` opens. */
export function* exists(t: Guest, path: string): Program<boolean> {
  const fd = yield* open(t, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  yield* close(t, fd);
  return true;
}
