/**
 * `file:`, the default scheme: the machine's in-memory filesystem (memfs.ts). On Redox,
 * `file:` is served by redoxfs, a userspace scheme server, so every call is a user-scheme
 * round trip; here the scheme is in the kernel and each call spends `fileSchemeCallNs`, the
 * cost that stands for that round trip (hw/cost-model.ts, docs/schemes.md), plus the copy.
 */
import { EFAULT, EINVAL, EISDIR, ENOTDIR } from '../../abi/errno.ts';
import {
  DIRENT_INO,
  DIRENT_NAME,
  DIRENT_OFF,
  DIRENT_RECLEN,
  DIRENT_TYPE,
  DT_DIR,
  DT_REG,
  direntReclen,
  O_APPEND,
  SEEK_CUR,
  SEEK_END,
  SEEK_SET,
  type StatInfo,
} from '../../abi/fd.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { copyin, copyout } from '../uaccess.ts';
import { copyCostNs } from './costs.ts';
import { type Inode, MemFs } from './memfs.ts';
import type { OpenFile } from './open-file.ts';
import { addBuiltinScheme, type KernelScheme, type SchemeFile } from './scheme.ts';

/** The file scheme's device number in fstat's st_dev. */
export const FILE_DEV = 1;
/** tmpfs reports a directory's size as 20 bytes per entry, `.` and `..` included (mm/shmem.c BOGO_DIRENT_SIZE). */
const BOGO_DIRENT_SIZE = 20;

const FILESYSTEMS = new WeakMap<Kernel, MemFs>();

/** The machine's filesystem (made empty, with `/`, on first use). */
export function fileSystemOf(k: Kernel): MemFs {
  let fs = FILESYSTEMS.get(k);
  if (fs === undefined) FILESYSTEMS.set(k, (fs = new MemFs()));
  return fs;
}

function statOf(node: Inode): StatInfo {
  const size = node.isDir ? (node.children.size + 2) * BOGO_DIRENT_SIZE : node.size;
  return { dev: FILE_DEV, ino: node.ino, mode: node.mode, nlink: node.nlink, uid: node.uid, size };
}

/** lseek's arithmetic (fs/read_write.c generic_file_llseek_size): the new offset or -EINVAL. */
function seekTo(file: OpenFile, sizeBytes: number, offset: number, whence: number): number {
  let base: number;
  if (whence === SEEK_SET) base = 0;
  else if (whence === SEEK_CUR) base = file.offsetBytes;
  else if (whence === SEEK_END) base = sizeBytes;
  else return -EINVAL;
  const to = base + offset;
  if (!Number.isSafeInteger(to) || to < 0) return -EINVAL;
  file.offsetBytes = to;
  return to;
}

export class RegularFile implements SchemeFile {
  constructor(readonly node: Inode) {}

  *read(k: Kernel, _cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const fs = fileSystemOf(k);
    const bytes = fs.read(this.node, file.offsetBytes, len);
    yield spend(k.board.costs.fileSchemeCallNs + copyCostNs(k, bytes.length));
    if (!copyout(t, addr, bytes)) return -EFAULT;
    file.offsetBytes += bytes.length;
    return bytes.length;
  }

  *write(k: Kernel, _cpu: Cpu, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    yield spend(k.board.costs.fileSchemeCallNs + copyCostNs(k, len));
    const bytes = copyin(t, addr, len);
    if (bytes === null) return -EFAULT;
    if ((file.flags & O_APPEND) !== 0) file.offsetBytes = this.node.size;
    fileSystemOf(k).write(this.node, file.offsetBytes, bytes);
    file.offsetBytes += len;
    return len;
  }

  *fstat(k: Kernel): KernelGen<StatInfo> {
    yield spend(k.board.costs.fileSchemeCallNs);
    return statOf(this.node);
  }

  seek(file: OpenFile, offset: number, whence: number): number {
    return seekTo(file, this.node.size, offset, whence);
  }

  *close(k: Kernel): KernelGen<void> {
    yield spend(k.board.costs.fileSchemeCallNs);
  }
}

export class DirectoryFile implements SchemeFile {
  constructor(readonly node: Inode) {}

  *read(k: Kernel): KernelGen<number> {
    yield spend(k.board.costs.fileSchemeCallNs);
    return -EISDIR;
  }

  *write(k: Kernel): KernelGen<number> {
    yield spend(k.board.costs.fileSchemeCallNs);
    return -EISDIR;
  }

  *fstat(k: Kernel): KernelGen<StatInfo> {
    yield spend(k.board.costs.fileSchemeCallNs);
    return statOf(this.node);
  }

  /** Directory offsets count entries (`.` is 0, `..` 1); SEEK_END is refused (dcache_dir_lseek). */
  seek(file: OpenFile, offset: number, whence: number): number {
    return whence === SEEK_END ? -EINVAL : seekTo(file, 0, offset, whence);
  }

  /**
   * getdents64: whole records from the entry at the offset while they fit; EINVAL when even
   * the first does not (fs/readdir.c filldir64); 0 at the end.
   */
  *getdents(k: Kernel, t: Thread, file: OpenFile, addr: number, len: number): KernelGen<number> {
    const dir = this.node;
    const entries: [string, Inode][] = [['.', dir], ['..', dir.parent], ...dir.children];
    const out = new Uint8Array(Math.max(0, Math.min(len, 1 << 20)));
    const view = new DataView(out.buffer);
    let used = 0;
    let index = file.offsetBytes;
    for (; index < entries.length; index++) {
      const [name, node] = entries[index]!;
      const nameBytes = new TextEncoder().encode(name);
      const reclen = direntReclen(nameBytes.length);
      if (used + reclen > out.length) break;
      view.setBigUint64(used + DIRENT_INO, BigInt(node.ino), true);
      view.setBigInt64(used + DIRENT_OFF, BigInt(index + 1), true);
      view.setUint16(used + DIRENT_RECLEN, reclen, true);
      out[used + DIRENT_TYPE] = node.isDir ? DT_DIR : DT_REG;
      out.set(nameBytes, used + DIRENT_NAME);
      used += reclen;
    }
    yield spend(k.board.costs.fileSchemeCallNs + copyCostNs(k, used));
    if (used === 0 && index < entries.length) return -EINVAL;
    if (used > 0 && !copyout(t, addr, out.subarray(0, used))) return -EFAULT;
    file.offsetBytes = index;
    return used;
  }

  *close(k: Kernel): KernelGen<void> {
    yield spend(k.board.costs.fileSchemeCallNs);
  }
}

/** The directory a relative path starts from: `dir` (an openat's), else `/` (no chdir here). */
function baseOf(fs: MemFs, dir: SchemeFile | null): Inode | number {
  if (dir === null) return fs.root;
  return dir instanceof DirectoryFile ? dir.node : -ENOTDIR;
}

export const fileScheme: KernelScheme = {
  name: 'file',
  *open(k, _cpu, t, path, flags, mode, dir) {
    yield spend(k.board.costs.fileSchemeCallNs);
    const fs = fileSystemOf(k);
    const base = baseOf(fs, dir);
    if (typeof base === 'number') return base;
    const node = fs.open(path, flags, mode, t.process.uid, base);
    if (typeof node === 'number') return node;
    return node.isDir ? new DirectoryFile(node) : new RegularFile(node);
  },
  *mkdir(k, t, path, mode, dir) {
    yield spend(k.board.costs.fileSchemeCallNs);
    const fs = fileSystemOf(k);
    const base = baseOf(fs, dir);
    return typeof base === 'number' ? base : fs.mkdir(path, mode, t.process.uid, base);
  },
  *rmdir(k, _t, path, dir) {
    yield spend(k.board.costs.fileSchemeCallNs);
    const fs = fileSystemOf(k);
    const base = baseOf(fs, dir);
    return typeof base === 'number' ? base : fs.rmdir(path, base);
  },
  *unlink(k, _t, path, dir) {
    yield spend(k.board.costs.fileSchemeCallNs);
    const fs = fileSystemOf(k);
    const base = baseOf(fs, dir);
    return typeof base === 'number' ? base : fs.unlink(path, base);
  },
};

addBuiltinScheme(() => fileScheme);
