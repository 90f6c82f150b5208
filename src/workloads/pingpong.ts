/**
 * `pingpong`: pairs of threads handing a token back and forth through one futex word each, the
 * classic futex round-trip benchmark. Every hand-off is a FUTEX_WAKE and a FUTEX_WAIT.
 */
import { AtomicOp, type Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { malloc } from '../libc/malloc.ts';
import { pthread_create, pthread_join, type pthread_t } from '../libc/pthread.ts';
import { futex_wait, futex_wake } from '../libc/sys.ts';
import { clock_gettime_ns } from '../libc/time.ts';
import { publish } from './common.ts';

export interface PingPongArgs {
  pairs: number;
  rounds: number;
}

interface SideArgs {
  word: number;
  /** The value this side waits for before it passes the token on. */
  mine: number;
  rounds: number;
}

/** Cycles of work each side does while holding the token. */
const CYCLES_PER_TURN = 200;

function* side(t: Guest, raw: unknown): Program<number> {
  const a = raw as SideArgs;
  for (let r = 0; r < a.rounds; r++) {
    for (;;) {
      const v = (yield t.atomic(AtomicOp.Load, a.word)) as number;
      if (v === a.mine) break;
      yield* futex_wait(t, a.word, v);
    }
    yield t.compute(CYCLES_PER_TURN);
    yield t.atomic(AtomicOp.Store, a.word, 1 - a.mine);
    yield* futex_wake(t, a.word, 1);
  }
  return 0;
}

export function* pingPongMain(t: Guest, raw: unknown): Program<number> {
  const a = raw as PingPongArgs;
  const t0 = yield* clock_gettime_ns(t);
  const threads: pthread_t[] = [];
  for (let p = 0; p < a.pairs; p++) {
    const word = yield* malloc(t, 4);
    for (const mine of [0, 1]) {
      const [err, th] = yield* pthread_create(t, null, side, {
        word,
        mine,
        rounds: a.rounds,
      } satisfies SideArgs);
      if (err !== 0) throw new Error(`pingpong: pthread_create failed (${err})`);
      threads.push(th);
    }
  }
  for (const th of threads) yield* pthread_join(t, th);
  const t1 = yield* clock_gettime_ns(t);
  const handoffs = a.pairs * a.rounds * 2;
  publish(t, 'pingpong', { elapsedNs: t1 - t0, handoffs });
  return 0;
}

export const PINGPONG_MAIN: ProgramImage = { name: 'pingpong', main: pingPongMain };
