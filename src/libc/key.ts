/**
 * Thread-specific data (LIBC-1): pthread_key_create/delete, pthread_getspecific/setspecific.
 * At most PTHREAD_KEYS_MAX (1024) keys exist at once (EAGAIN beyond). When a thread exits, the
 * destructors of its non-null values run, and run again for values they set, up to
 * PTHREAD_DESTRUCTOR_ITERATIONS (4) rounds, as POSIX specifies and glibc does
 * (nptl/nptl_deallocate_tsd.c).
 */
import type { Program } from '../abi/effects.ts';
import { EAGAIN, EINVAL } from '../abi/errno.ts';
import type { Guest } from '../abi/guest.ts';
import { PTHREAD_DESTRUCTOR_ITERATIONS, PTHREAD_KEYS_MAX } from './layout.ts';

export type pthread_key_t = number;
/** A destructor: called in the exiting thread with the value it held. */
export type KeyDestructor = (t: Guest, value: unknown) => Program<void>;

interface KeySlot {
  inUse: boolean;
  destructor: KeyDestructor | null;
  /** Bumped at each create, so a value set under a deleted key is not seen under its reuse. */
  generation: number;
}

interface KeyTable {
  slots: KeySlot[];
  /** Per thread: key -> [generation, value]. */
  values: Map<number, Map<number, [number, unknown]>>;
}

function table(t: Guest): KeyTable {
  let kt = t.data.pthreadKeys as KeyTable | undefined;
  if (kt === undefined) t.data.pthreadKeys = kt = { slots: [], values: new Map() };
  return kt;
}

/** Returns [0, key], or [EAGAIN, 0] when PTHREAD_KEYS_MAX keys exist. */
export function pthread_key_create(t: Guest, destructor: KeyDestructor | null): [number, pthread_key_t] {
  const kt = table(t);
  let key = kt.slots.findIndex((s) => !s.inUse);
  if (key < 0) {
    if (kt.slots.length >= PTHREAD_KEYS_MAX) return [EAGAIN, 0];
    key = kt.slots.length;
    kt.slots.push({ inUse: false, destructor: null, generation: 0 });
  }
  const slot = kt.slots[key]!;
  slot.inUse = true;
  slot.destructor = destructor;
  slot.generation++;
  return [0, key];
}

/** Deletes a key (its destructor is not called); EINVAL for a key not in use. */
export function pthread_key_delete(t: Guest, key: pthread_key_t): number {
  const slot = table(t).slots[key];
  if (slot === undefined || !slot.inUse) return EINVAL;
  slot.inUse = false;
  slot.destructor = null;
  return 0;
}

/** The calling thread's value for `key`, or null. */
export function pthread_getspecific(t: Guest, key: pthread_key_t): unknown {
  const kt = table(t);
  const slot = kt.slots[key];
  if (slot === undefined || !slot.inUse) return null;
  const entry = kt.values.get(t.tid)?.get(key);
  return entry !== undefined && entry[0] === slot.generation ? entry[1] : null;
}

/** Sets the calling thread's value for `key`; EINVAL for a key not in use. */
export function pthread_setspecific(t: Guest, key: pthread_key_t, value: unknown): number {
  const kt = table(t);
  const slot = kt.slots[key];
  if (slot === undefined || !slot.inUse) return EINVAL;
  let mine = kt.values.get(t.tid);
  if (mine === undefined) kt.values.set(t.tid, (mine = new Map()));
  mine.set(key, [slot.generation, value ?? null]);
  return 0;
}

/** Runs the exiting thread's destructors, up to PTHREAD_DESTRUCTOR_ITERATIONS rounds. */
export function* runKeyDestructors(t: Guest): Program<void> {
  const kt = table(t);
  for (let round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
    let called = false;
    for (let key = 0; key < kt.slots.length; key++) {
      const slot = kt.slots[key]!;
      const value = pthread_getspecific(t, key);
      if (!slot.inUse || slot.destructor === null || value === null) continue;
      pthread_setspecific(t, key, null);
      called = true;
      yield* slot.destructor(t, value);
    }
    if (!called) break;
  }
  kt.values.delete(t.tid);
}
