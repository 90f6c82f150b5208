/**
 * An in-memory filesystem, one per machine (the `file:` scheme's store): directories and
 * regular files as inodes, names in directories, Linux's path walk and errnos (fs/namei.c
 * link_path_walk, do_open, do_mkdirat, do_rmdir, do_unlinkat; mm/shmem.c as the model of a RAM
 * filesystem). Pure data: no time, no guest memory (file-scheme.ts adds those).
 *
 * Errors, as Linux's for the same call: an empty path, a missing component: ENOENT; a
 * component longer than NAME_MAX: ENAMETOOLONG; walking through a regular file, O_DIRECTORY
 * or a trailing `/` on one: ENOTDIR; O_CREAT|O_EXCL on an existing name and mkdir of one:
 * EEXIST; O_CREAT, write access or O_TRUNC on a directory: EISDIR; O_CREAT|O_DIRECTORY:
 * EINVAL (Linux 6.4); rmdir of a non-empty directory: ENOTEMPTY, of `/`: EBUSY, of `.`:
 * EINVAL; unlink of a directory: EISDIR (Linux's choice where POSIX says EPERM); creating in
 * a removed directory: ENOENT. An unlinked file lives while it is open (its inode is held).
 */
import { EBUSY, EEXIST, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY } from '../../abi/errno.ts';
import {
  O_ACCMODE,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_RDONLY,
  O_TRUNC,
  S_IFDIR,
  S_IFREG,
} from '../../abi/fd.ts';
import { NAME_MAX } from '../../abi/syscalls.ts';

export interface Inode {
  readonly ino: number;
  readonly isDir: boolean;
  mode: number;
  uid: number;
  /** A regular file's bytes (its size is `size`; the array may be longer). */
  data: Uint8Array;
  size: number;
  /** A directory's entries, in creation order (tmpfs's simple_offset order, fs/libfs.c). */
  readonly children: Map<string, Inode>;
  /** A directory's parent (the root's is itself). */
  parent: Inode;
  /** Names referring to it; 0 once unlinked (an open file still holds it). */
  nlink: number;
}

/** Where a path's last component goes: its directory and its name (null for `/`). */
interface Parent {
  dir: Inode;
  name: string | null;
  trailingSlash: boolean;
}

export class MemFs {
  readonly root: Inode;
  #nextIno = 1;

  constructor() {
    this.root = this.#inode(true, 0o755, 0, null);
  }

  #inode(isDir: boolean, perm: number, uid: number, parent: Inode | null): Inode {
    const node = {
      ino: this.#nextIno++,
      isDir,
      mode: (isDir ? S_IFDIR : S_IFREG) | (perm & 0o7777),
      uid,
      data: new Uint8Array(0),
      size: 0,
      children: new Map(),
      nlink: isDir ? 2 : 1,
    } as Omit<Inode, 'parent'> as Inode;
    node.parent = parent ?? node;
    return node;
  }

  /** Walks every component but the last: the directory it is in and its name, or -errno. */
  #parent(path: string, base: Inode): Parent | number {
    if (path.length === 0) return -ENOENT;
    const parts = path.split('/');
    const trailingSlash = path.length > 1 && path.endsWith('/');
    const names = parts.filter((p) => p.length > 0);
    if (names.some((n) => new TextEncoder().encode(n).length > NAME_MAX)) return -ENAMETOOLONG;
    let dir = path.startsWith('/') ? this.root : base;
    for (const name of names.slice(0, -1)) {
      const next = this.#step(dir, name);
      if (next === undefined) return -ENOENT;
      if (!next.isDir) return -ENOTDIR;
      dir = next;
    }
    return { dir, name: names.length === 0 ? null : names[names.length - 1]!, trailingSlash };
  }

  #step(dir: Inode, name: string): Inode | undefined {
    if (name === '.') return dir;
    if (name === '..') return dir.parent;
    return dir.children.get(name);
  }

  /** The inode `path` names (relative paths from `base`), or -errno. */
  lookup(path: string, base: Inode = this.root): Inode | number {
    const at = this.#parent(path, base);
    if (typeof at === 'number') return at;
    if (at.name === null) return at.dir;
    const node = this.#step(at.dir, at.name);
    if (node === undefined) return -ENOENT;
    if (at.trailingSlash && !node.isDir) return -ENOTDIR;
    return node;
  }

  /** open(2)'s lookup and create: the inode to open, or -errno (see the module comment). */
  open(path: string, flags: number, perm: number, uid: number, base: Inode = this.root): Inode | number {
    const creat = (flags & O_CREAT) !== 0;
    if (creat && (flags & O_DIRECTORY) !== 0) return -EINVAL;
    const at = this.#parent(path, base);
    if (typeof at === 'number') return at;
    let node = at.name === null ? at.dir : this.#step(at.dir, at.name);
    if (node === undefined) {
      if (!creat) return -ENOENT;
      if (at.trailingSlash) return -EISDIR;
      if (at.dir.nlink === 0) return -ENOENT;
      node = this.#inode(false, perm, uid, at.dir);
      at.dir.children.set(at.name!, node);
      return node;
    }
    if (creat && (flags & O_EXCL) !== 0) return -EEXIST;
    if (node.isDir) {
      const writes = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
      return creat || writes ? -EISDIR : node;
    }
    if ((flags & O_DIRECTORY) !== 0 || at.trailingSlash) return -ENOTDIR;
    if ((flags & O_TRUNC) !== 0) node.size = 0;
    return node;
  }

  mkdir(path: string, perm: number, uid: number, base: Inode = this.root): number {
    const at = this.#parent(path, base);
    if (typeof at === 'number') return at;
    if (at.name === null || this.#step(at.dir, at.name) !== undefined) return -EEXIST;
    if (at.dir.nlink === 0) return -ENOENT;
    at.dir.children.set(at.name, this.#inode(true, perm, uid, at.dir));
    at.dir.nlink++;
    return 0;
  }

  rmdir(path: string, base: Inode = this.root): number {
    const at = this.#parent(path, base);
    if (typeof at === 'number') return at;
    if (at.name === null) return -EBUSY;
    if (at.name === '.') return -EINVAL;
    if (at.name === '..') return -ENOTEMPTY;
    const node = at.dir.children.get(at.name);
    if (node === undefined) return -ENOENT;
    if (!node.isDir) return -ENOTDIR;
    if (node.children.size > 0) return -ENOTEMPTY;
    at.dir.children.delete(at.name);
    at.dir.nlink--;
    node.nlink = 0;
    return 0;
  }

  unlink(path: string, base: Inode = this.root): number {
    const at = this.#parent(path, base);
    if (typeof at === 'number') return at;
    if (at.name === null) return -EISDIR;
    const node = this.#step(at.dir, at.name);
    if (node === undefined) return -ENOENT;
    if (node.isDir) return -EISDIR;
    if (at.trailingSlash) return -ENOTDIR;
    at.dir.children.delete(at.name);
    node.nlink = 0;
    return 0;
  }

  /** Up to `len` bytes of a regular file from `offset`. */
  read(node: Inode, offset: number, len: number): Uint8Array {
    if (offset >= node.size) return new Uint8Array(0);
    return node.data.slice(offset, Math.min(node.size, offset + len));
  }

  /** Writes `bytes` at `offset`, extending the file (a gap reads as zeros). */
  write(node: Inode, offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    if (end > node.data.length) {
      const grown = new Uint8Array(Math.max(end, node.data.length * 2));
      grown.set(node.data.subarray(0, node.size));
      node.data = grown;
    }
    if (offset > node.size) node.data.fill(0, node.size, offset);
    node.data.set(bytes, offset);
    node.size = Math.max(node.size, end);
  }

  /** A scenario's seed file: its directories made as needed, its text the file's bytes. */
  seed(path: string, text: string): number {
    const names = path.split('/').filter((p) => p.length > 0);
    let dir = '';
    for (const name of names.slice(0, -1)) {
      dir += `/${name}`;
      const r = this.mkdir(dir, 0o755, 0);
      if (r < 0 && r !== -EEXIST) return r;
    }
    const node = this.open(path, O_CREAT | O_TRUNC | 1, 0o644, 0);
    if (typeof node === 'number') return node;
    this.write(node, 0, new TextEncoder().encode(text));
    return 0;
  }
}
