/**
 * `spin`: CPU-bound threads that do nothing but compute effects. It measures the simulator's own
 * speed (effects per second) with as little guest work as possible per effect.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';

export interface SpinArgs {
  threads: number;
  iterations: number;
  cycles: number;
}

function* spinner(t: Guest, raw: unknown): Program<number> {
  const a = raw as SpinArgs;
  for (let i = 0; i < a.iterations; i++) yield t.compute(a.cycles);
  return 0;
}

export function* spinMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as SpinArgs;
  const t0 = yield* clock_gettime_ns(t);
  const threads: pthread_t[] = [];
  for (let i = 0; i < a.threads; i++) {
    const [err, th] = yield* pthread_create(t, null, spinner, a);
    if (err !== 0) throw new Error(`spin: pthread_create failed (${err})`);
    threads.push(th);
  }
  for (const th of threads) yield* pthread_join(t, th);
  const t1 = yield* clock_gettime_ns(t);
  publish(t, 'spin', { elapsedNs: t1 - t0, effects: a.threads * a.iterations });
  return 0;
}

export const SPIN_MAIN: ProgramImage = { name: 'spin', main: spinMain };
