/**
 * Which descriptor table each process has, kept beside the kernel's own objects (as
 * proc-handles.ts keeps its tables), and the process-lifetime hooks: fork copies the table,
 * spawn (fork then exec) copies it without the FD_CLOEXEC descriptors, exit closes them all.
 * A process that never opened a descriptor has no table, so these cost nothing for it.
 */
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Process } from '../process.ts';
import { releaseFile } from './open-file.ts';
import { FdTable } from './table.ts';

const TABLES = new WeakMap<Process, FdTable>();

export function fdsOf(p: Process): FdTable {
  let table = TABLES.get(p);
  if (table === undefined) TABLES.set(p, (table = new FdTable()));
  return table;
}

/** The table of `p` if it has one (tests and reports), without making one. */
export function fdTableIfAny(p: Process): FdTable | undefined {
  return TABLES.get(p);
}

/** fork: the child shares every open description of the parent, under the same numbers. */
export function forkFds(parent: Process, child: Process): void {
  const table = TABLES.get(parent);
  if (table !== undefined) TABLES.set(child, table.copy(false));
}

/** spawn = fork + exec: the child inherits the descriptors not marked FD_CLOEXEC. */
export function spawnFds(parent: Process, child: Process): void {
  const table = TABLES.get(parent);
  if (table !== undefined) TABLES.set(child, table.copy(true));
}

/** exit: every descriptor closes (exit_files), last references closing their scheme files. */
export function* closeAllFds(k: Kernel, cpu: Cpu, p: Process): KernelGen<void> {
  const table = TABLES.get(p);
  if (table === undefined) return;
  for (const fd of table.fds()) {
    const file = table.remove(fd);
    if (file !== undefined) yield* releaseFile(k, cpu, file);
  }
}
