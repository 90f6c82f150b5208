/**
 * `[[file]]`: files a scenario puts in the machine's `file:` filesystem before boot (kernel/fd/
 * memfs.ts), as an image would hold `/etc/init.d/10_foo.toml`:
 *
 *   [[file]]
 *   path = "/etc/init.d/10_foo.toml"
 *   text = """..."""
 *
 * A path is absolute, with components of 1..255 bytes that are not `.` or `..`; no two
 * entries name the same path, and no entry's path runs through another's file. At most
 * FILES_MAX entries and FILE_TEXT_BYTES_MAX bytes of text in all.
 */
import { NAME_MAX } from '../abi/syscalls.ts';
import { FD_MODES, type FdOptions } from '../kernel/fd/mode.ts';
import type { FileSeed } from '../machine/config.ts';
import {
  fail,
  kindOf,
  own,
  type ReadContext,
  readChoice,
  readInt,
  readString,
  readTable,
  type Table,
} from './fields.ts';

const FILE_KEYS = ['path', 'text'];
export const FILES_MAX = 1024;
export const FILE_TEXT_BYTES_MAX = 4 * 1024 * 1024;

function checkPath(ctx: ReadContext, path: string, field: string): void {
  const allowed =
    'an absolute path like "/etc/init.d/10_foo.toml" (components of 1..255 bytes, not "." or "..")';
  if (!path.startsWith('/')) fail(ctx, field, `"${path}" is not absolute`, allowed);
  const parts = path.slice(1).split('/');
  for (const part of parts) {
    const bad =
      part === '' || part === '.' || part === '..' || new TextEncoder().encode(part).length > NAME_MAX;
    if (bad) fail(ctx, field, `"${path}" has a component "${part}" that is not allowed`, allowed);
  }
}

/** The `[[file]]` entries of the scenario's top table, checked; none when absent. */
export function readFiles(ctx: ReadContext, top: Table): FileSeed[] {
  const value = own(top, 'file');
  if (value === undefined) return [];
  if (!Array.isArray(value))
    fail(ctx, 'file', `expected an array of tables ([[file]]), got ${kindOf(value)}`);
  if (value.length > FILES_MAX)
    fail(ctx, 'file', `${value.length} entries`, `at most ${FILES_MAX} [[file]] tables`);
  const seeds: FileSeed[] = [];
  let textBytes = 0;
  value.forEach((entry, i) => {
    const prefix = `file.${i}`;
    const table = readTable(ctx, entry, prefix, FILE_KEYS);
    const path = readString(ctx, table, 'path', prefix);
    checkPath(ctx, path, `${prefix}.path`);
    const text = readString(ctx, table, 'text', prefix, '');
    textBytes += new TextEncoder().encode(text).length;
    if (textBytes > FILE_TEXT_BYTES_MAX) {
      fail(
        ctx,
        `${prefix}.text`,
        'the files hold too much text',
        `at most ${FILE_TEXT_BYTES_MAX} bytes in all`,
      );
    }
    for (const other of seeds) {
      if (other.path === path)
        fail(ctx, `${prefix}.path`, `"${path}" is named by another [[file]] too`, 'distinct paths');
      if (path.startsWith(`${other.path}/`) || other.path.startsWith(`${path}/`)) {
        fail(
          ctx,
          `${prefix}.path`,
          `"${path}" and "${other.path}": one would be a directory of the other`,
          'paths that are files, not directories of each other',
        );
      }
    }
    seeds.push({ path, text });
  });
  return seeds;
}

const KERNEL_FD_KEYS = ['mode', 'scheme_queue_max'];
/** The largest request-queue bound a scenario may set. */
export const SCHEME_QUEUE_MAX_MAX = 1_000_000;

/**
 * `[kernel] fd = { mode = "redox" | "linux", scheme_queue_max = N }`: descriptor semantics
 * (kernel/fd/mode.ts) and the improved kernel's user-scheme queue bound (SVC-7). Absent: null,
 * and the kernel follows its futex mode. A bound with mode redox is refused (Redox's is unbounded).
 */
export function readKernelFd(ctx: ReadContext, value: unknown): FdOptions | null {
  if (value === undefined) return null;
  const table = readTable(ctx, value, 'kernel.fd', KERNEL_FD_KEYS);
  const mode = readChoice(ctx, table, 'mode', 'kernel.fd', { choices: FD_MODES, noun: 'a descriptor mode' });
  if (own(table, 'scheme_queue_max') === undefined) return { mode };
  if (mode === 'redox') {
    fail(
      ctx,
      'kernel.fd.scheme_queue_max',
      "Redox's scheme queues are unbounded",
      'no bound with mode "redox"',
    );
  }
  const schemeQueueMax = readInt(ctx, table, 'scheme_queue_max', 'kernel.fd', {
    min: 1,
    max: SCHEME_QUEUE_MAX_MAX,
  });
  return { mode, schemeQueueMax };
}
