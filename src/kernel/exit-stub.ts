/**
 * A thread's bottom frame: it takes the entry's return value, calls the thread's return hook,
 * then exit (exit_group for a process's main). Step for step what this generator did:
 *
 *   function* exitStub(guest, processMain, onReturn) {
 *     const value = yield STUB_PRIMED;          // primed once at creation
 *     onReturn?.(guest, value);
 *     yield guest.syscall(processMain ? SYS_EXIT_GROUP : SYS_EXIT, typeof value === 'number' ? value : 0);
 *     throw new Error('exit returned');
 *   }
 *
 * written as a small iterator because every thread holds one for its whole life (issue 14: the
 * suspended generator was ~170 bytes of the memory per idle thread, this is ~60).
 */
import { type ComputeEffect, type GuestEffect, Op, type Program } from '../abi/effects.ts';
import type { Guest, ThreadReturnHook } from '../abi/guest.ts';
import { SYS_EXIT, SYS_EXIT_GROUP } from '../abi/syscalls.ts';

/** Yielded once when the exit stub is primed; never reaches a CPU. */
const STUB_PRIMED: ComputeEffect = { op: Op.Compute, cycles: 0 };

enum Step {
  Fresh = 0,
  AwaitingValue = 1,
  Exiting = 2,
  Closed = 3,
}

export class ExitStub implements Program<never> {
  readonly #guest: Guest;
  readonly #processMain: boolean;
  readonly #onReturn: ThreadReturnHook | null;
  #step = Step.Fresh;
  readonly [Symbol.toStringTag] = 'ExitStub';

  constructor(guest: Guest, processMain: boolean, onReturn: ThreadReturnHook | null) {
    this.#guest = guest;
    this.#processMain = processMain;
    this.#onReturn = onReturn;
  }

  next(value?: unknown): IteratorResult<GuestEffect, never> {
    switch (this.#step) {
      case Step.Fresh:
        this.#step = Step.AwaitingValue;
        return { value: STUB_PRIMED, done: false };
      case Step.AwaitingValue: {
        this.#step = Step.Closed; // a throw from the hook closes it, as it closes a generator
        this.#onReturn?.(this.#guest, value);
        this.#step = Step.Exiting;
        const code = typeof value === 'number' ? value : 0;
        return {
          value: this.#guest.syscall(this.#processMain ? SYS_EXIT_GROUP : SYS_EXIT, code),
          done: false,
        };
      }
      case Step.Exiting:
        this.#step = Step.Closed;
        throw new Error('exit returned');
      default:
        return { value: undefined as never, done: true };
    }
  }

  return(value: never): IteratorResult<GuestEffect, never> {
    this.#step = Step.Closed;
    return { value, done: true };
  }

  throw(error: unknown): IteratorResult<GuestEffect, never> {
    this.#step = Step.Closed;
    throw error;
  }

  [Symbol.iterator](): this {
    return this;
  }
}
