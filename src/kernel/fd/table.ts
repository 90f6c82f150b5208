/**
 * A per-process descriptor table: numbers to open-file descriptions, each slot with its
 * FD_CLOEXEC bit. A new descriptor takes the lowest free number (POSIX; Linux fs/file.c
 * alloc_fd, Redox Context::add_file), at most FD_LIMIT (RLIMIT_NOFILE; EMFILE past it).
 * The table holds descriptions; releasing their references (which may close a pipe end and
 * wake its peers) is the caller's generator work.
 */
import { FD_LIMIT } from '../../abi/fd.ts';
import type { OpenFile } from './open-file.ts';

export interface FdSlot {
  readonly file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  readonly #slots: (FdSlot | undefined)[] = [];
  readonly limit: number;

  constructor(limit = FD_LIMIT) {
    this.limit = limit;
  }

  get(fd: number): FdSlot | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.#slots[fd] : undefined;
  }

  /** The lowest free number at or above `minFd`, or -1 when none is below the limit. */
  lowestFree(minFd = 0): number {
    for (let fd = minFd; fd < this.limit; fd++) if (this.#slots[fd] === undefined) return fd;
    return -1;
  }

  /** Installs `file` (a reference the caller already counted) at the lowest free number, or -1. */
  install(file: OpenFile, cloexec: boolean, minFd = 0): number {
    const fd = this.lowestFree(minFd);
    if (fd >= 0) this.#slots[fd] = { file, cloexec };
    return fd;
  }

  /** Puts `file` at `fd` (dup2); returns the description that was there, for the caller to release. */
  installAt(fd: number, file: OpenFile, cloexec: boolean): OpenFile | undefined {
    const old = this.#slots[fd]?.file;
    this.#slots[fd] = { file, cloexec };
    return old;
  }

  /** Empties `fd`; returns its description (the caller releases it), or undefined. */
  remove(fd: number): OpenFile | undefined {
    const slot = this.get(fd);
    if (slot === undefined) return undefined;
    this.#slots[fd] = undefined;
    while (this.#slots.length > 0 && this.#slots[this.#slots.length - 1] === undefined) this.#slots.pop();
    return slot.file;
  }

  /** The open numbers, ascending. */
  fds(): number[] {
    const out: number[] = [];
    this.#slots.forEach((slot, fd) => {
      if (slot !== undefined) out.push(fd);
    });
    return out;
  }

  /**
   * A copy sharing every description (each gains a reference): fork's (`dropCloexec` false) or
   * spawn's, where exec closes the FD_CLOEXEC ones (do_close_on_exec).
   */
  copy(dropCloexec: boolean): FdTable {
    const out = new FdTable(this.limit);
    this.#slots.forEach((slot, fd) => {
      if (slot === undefined || (dropCloexec && slot.cloexec)) return;
      slot.file.refs++;
      out.#slots[fd] = { file: slot.file, cloexec: slot.cloexec };
    });
    return out;
  }
}
