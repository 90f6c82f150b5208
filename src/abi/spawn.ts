/**
 * posix_spawn's attributes as the guest passes them (glibc's posix/spawn.h flag values): the
 * libc keeps a `posix_spawnattr_t` and hands the kernel its fields for the vfork-style spawn
 * (issue 24). Signal sets are 32-bit masks (bit sig-1), as everywhere in this ABI.
 */
export const POSIX_SPAWN_RESETIDS = 0x01;
export const POSIX_SPAWN_SETPGROUP = 0x02;
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;
export const POSIX_SPAWN_SETSCHEDPARAM = 0x10;
export const POSIX_SPAWN_SETSCHEDULER = 0x20;
/** Every flag this model knows; posix_spawnattr_setflags refuses others (EINVAL), as glibc's. */
export const POSIX_SPAWN_FLAGS_ALL = 0x3f;

/** What the spawned child gets before its exec (each used only when its flag is set). */
export interface SpawnAttrs {
  flags: number;
  pgroup: number;
  sigmask: number;
  sigdefault: number;
  policy: number;
  priority: number;
}

/** Where executables live: posix_spawnp and execvp search `PATH`, this when it is unset. */
export const PATH_DEFAULT = '/bin:/usr/bin';

/** One posix_spawn file action, applied in the child in the order added (glibc spawn_action). */
export type SpawnFileAction =
  | { kind: 'open'; fd: number; path: string; oflag: number; mode: number }
  | { kind: 'close'; fd: number }
  | { kind: 'dup2'; fd: number; newFd: number };
