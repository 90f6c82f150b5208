/**
 * Open-file descriptions (Linux `struct file`, Redox `FileDescription`): what dup, dup2 and
 * fork share between descriptors: the scheme's file, the offset and the status flags
 * (O_NONBLOCK, O_APPEND) and access mode. The last descriptor to let go closes the scheme file.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { SchemeFile } from './scheme.ts';

export class OpenFile {
  readonly file: SchemeFile;
  /** open(2) access mode and status flags (the creation flags are not kept, as Linux's f_flags). */
  flags: number;
  offsetBytes = 0;
  /** Descriptors (in every process) referring to this description. */
  refs = 1;

  constructor(file: SchemeFile, flags: number) {
    this.file = file;
    this.flags = flags;
  }
}

/** Drops one descriptor's reference; the last closes the scheme file (fput, then ->release). */
export function* releaseFile(k: Kernel, cpu: Cpu, file: OpenFile): KernelGen<void> {
  file.refs--;
  if (file.refs === 0) yield* file.file.close(k, cpu);
}
