/**
 * The `pci:` scheme on the descriptor layer (issue 18), with the namespace of Redox's pcid
 * (redox-os/drivers pcid/src/scheme.rs, commit 90e02763; a user daemon there, served by the
 * kernel here as irq: is):
 *
 * - `pci:` (or `pci:/`): the top level, a directory of every function, named as pcid names them,
 *   PciAddress's `0000:00:03.0` with each `:` replaced by `--` (`0000--00--03.0`);
 * - `pci:<function>`: the function's directory, which holds `channel`;
 * - `pci:<function>/channel`: its driver channel, root only (EACCES), one at a time (ENOLCK while
 *   one is open: pcid's `func.enabled`), given back on close;
 * - `pci:access`: the configuration-space access handle, root only.
 *
 * A directory opened without O_DIRECTORY or a trailing `/` is EISDIR, a file opened with either
 * ENOTDIR, an unknown function or name ENOENT. fstat: a directory `S_IFDIR | 0755` with its entry
 * count as size, a file `S_IFCHR | 0600`. Reading a directory is EISDIR; getdents lists a
 * directory's entries (no `.` or `..`, type unknown, as pcid's DirentKind::Unspecified) and is
 * ENOTDIR on a file. A read or write of `access` is EBADF, as in pcid, which serves that handle
 * only through its `call` (a descriptor operation this layer does not have).
 *
 * A channel carries pcid's request protocol (abi/pcid.ts, answered by pcid-channel.ts): a write
 * is one bincode request (at most 4 KiB), answered at once into the channel; reads take the
 * length-prefixed response (8-byte length, then the body), in as many reads as the caller likes.
 * Each call costs `schemeCallNs` (pcid is a user daemon on Redox: this stands for the round trip)
 * plus its copy at `userCopyNsPerKiB`, and any configuration or register access at `mmioWriteNs`.
 */
import { EACCES, EBADF, EFAULT, EINVAL, EISDIR, ENODEV, ENOENT, ENOLCK, ENOTDIR } from '../../abi/errno.ts';
import { decodeRequest, encodeResponse } from '../../abi/pcid.ts';
import {
  DIRENT_INO,
  DIRENT_NAME,
  DIRENT_OFF,
  DIRENT_RECLEN,
  DIRENT_TYPE,
  direntReclen,
  O_DIRECTORY,
  S_IFCHR,
  S_IFDIR,
  type StatInfo,
} from '../../abi/fd.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { OpenFile } from '../fd/open-file.ts';
import { addBuiltinScheme, type KernelScheme, type SchemeFile } from '../fd/scheme.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { copyCostNs } from '../fd/costs.ts';
import { copyin, copyout } from '../uaccess.ts';
import { Accesses } from './irq-program.ts';
import { respond } from './pcid-channel.ts';
import type { Devio } from './devio.ts';

/** The pci scheme's device number in fstat's st_dev. */
export const PCI_DEV = 4;
const DT_UNKNOWN = 0;

/** `0000--BB--DD.F` of a requester id (bus << 8 | device << 3 | function). */
export function pciName(requesterId: number): string {
  const hex = (v: number, n: number) => v.toString(16).padStart(n, '0');
  return `0000--${hex(requesterId >> 8, 2)}--${hex((requesterId >> 3) & 0x1f, 2)}.${(requesterId & 7).toString(16)}`;
}

type Node =
  | { kind: 'top'; entries: string[] }
  | { kind: 'device'; fn: number; entries: string[] }
  | { kind: 'access' }
  | { kind: 'channel'; fn: number };

/** The largest request a channel write takes (pcid reads whatever was written; its are tens of bytes). */
const REQUEST_MAX_BYTES = 4096;

class PciFile implements SchemeFile {
  readonly #node: Node;
  readonly #enabled: Set<number>;
  readonly #ino: number;
  /** A channel's response not yet read (scheme.rs ChannelState::AwaitingResponseRead), or null. */
  #response: Uint8Array | null = null;

  constructor(node: Node, enabled: Set<number>, ino: number) {
    this.#node = node;
    this.#enabled = enabled;
    this.#ino = ino;
  }

  *read(k: Kernel, _cpu: Cpu, t: Thread, _file: OpenFile, addr: number, len: number): KernelGen<number> {
    yield spend(k.board.costs.schemeCallNs);
    const kind = this.#node.kind;
    if (kind !== 'channel') return kind === 'top' || kind === 'device' ? -EISDIR : -EBADF;
    const pending = this.#response;
    if (pending === null) return -EINVAL; // AwaitingData
    const n = Math.max(0, Math.min(len, pending.length));
    yield spend(copyCostNs(k, n));
    if (n > 0 && !copyout(t, addr, pending.subarray(0, n))) return -EFAULT;
    this.#response = n === pending.length ? null : pending.subarray(n);
    return n;
  }

  *write(k: Kernel, _cpu: Cpu, t: Thread, _file: OpenFile, addr: number, len: number): KernelGen<number> {
    yield spend(k.board.costs.schemeCallNs);
    const node = this.#node;
    if (node.kind !== 'channel') return -EBADF;
    if (this.#response !== null) return -EINVAL; // AwaitingResponseRead
    if (!(len > 0 && len <= REQUEST_MAX_BYTES)) return -EINVAL;
    const bytes = copyin(t, addr, len);
    if (bytes === null) return -EFAULT;
    yield spend(copyCostNs(k, len));
    const request = decodeRequest(bytes);
    if (request === null) return -EINVAL;
    const n = new Accesses();
    const response = respond(k, k.devio!, node.fn, request, n);
    if (n.count > 0) yield spend(n.count * k.board.costs.mmioWriteNs);
    this.#response = encodeResponse(response);
    return len;
  }

  *fstat(k: Kernel, t: Thread): KernelGen<StatInfo> {
    yield spend(k.board.costs.schemeCallNs);
    const node = this.#node;
    const dir = node.kind === 'top' || node.kind === 'device';
    return {
      dev: PCI_DEV,
      ino: this.#ino,
      mode: dir ? S_IFDIR | 0o755 : S_IFCHR | 0o600,
      nlink: 1,
      uid: t.process.uid,
      size: dir ? node.entries.length : 0,
    };
  }

  *getdents(k: Kernel, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const node = this.#node;
    if (node.kind !== 'top' && node.kind !== 'device') return -ENOTDIR;
    const out = new Uint8Array(Math.max(0, Math.min(len, 1 << 16)));
    const view = new DataView(out.buffer);
    let used = 0;
    let index = file.offsetBytes;
    for (; index < node.entries.length; index++) {
      const name = new TextEncoder().encode(node.entries[index]!);
      const reclen = direntReclen(name.length);
      if (used + reclen > out.length) break;
      view.setBigUint64(used + DIRENT_INO, 0n, true);
      view.setBigInt64(used + DIRENT_OFF, BigInt(index + 1), true);
      view.setUint16(used + DIRENT_RECLEN, reclen, true);
      out[used + DIRENT_TYPE] = DT_UNKNOWN;
      out.set(name, used + DIRENT_NAME);
      used += reclen;
    }
    yield spend(k.board.costs.schemeCallNs);
    if (used === 0 && index < node.entries.length) return -EINVAL;
    if (used > 0 && !copyout(t, addr, out.subarray(0, used))) return -EFAULT;
    file.offsetBytes = index;
    return used;
  }

  *close(k: Kernel): KernelGen<void> {
    yield spend(k.board.costs.schemeCallNs);
    if (this.#node.kind === 'channel') this.#enabled.delete(this.#node.fn);
  }
}

/** What `path` names (pcid's open before its checks), or -ENOENT. */
function lookup(d: Devio, path: string): Node | number {
  if (path === '') return { kind: 'top', entries: d.functions.map((f) => pciName(f.requesterId)) };
  if (path === 'access') return { kind: 'access' };
  const slash = path.indexOf('/');
  const name = slash < 0 ? path : path.slice(0, slash);
  const fn = d.functions.findIndex((f) => pciName(f.requesterId) === name);
  if (fn < 0) return -ENOENT;
  if (slash < 0) return { kind: 'device', fn, entries: ['channel'] };
  return path.slice(slash + 1) === 'channel' ? { kind: 'channel', fn } : -ENOENT;
}

function pciScheme(): KernelScheme {
  const enabled = new Set<number>();
  let opens = 0;
  return {
    name: 'pci',
    *open(k, _cpu, t, rawPath, flags) {
      if (k.devio === null) return -ENODEV;
      yield spend(k.board.costs.schemeCallNs);
      const expectsDir = rawPath.endsWith('/') || (flags & O_DIRECTORY) !== 0;
      const node = lookup(k.devio, rawPath.replace(/^\/+|\/+$/g, ''));
      if (typeof node === 'number') return node;
      const isFile = node.kind === 'access' || node.kind === 'channel';
      if (expectsDir && isFile) return -ENOTDIR;
      if (!expectsDir && !isFile) return -EISDIR;
      if (isFile && t.process.uid !== 0) return -EACCES;
      if (node.kind === 'channel') {
        if (enabled.has(node.fn)) return -ENOLCK;
        enabled.add(node.fn);
      }
      return new PciFile(node, enabled, ++opens);
    },
  };
}

addBuiltinScheme(() => pciScheme());
