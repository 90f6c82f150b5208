/**
 * What a CPU executes: a context with a stack of frames. The bottom frame of a thread is its
 * user program; system calls and interrupts push kernel frames above it. The kernel's threads
 * extend this; the CPU knows nothing else about them.
 */

export enum FrameKind {
  User = 0,
  /** A system call handler: its return value resumes the frame below. */
  Syscall = 1,
  /** An interrupt handler: its frame below resumes as it was. */
  Irq = 2,
  /** Other kernel code (the idle loop, switch finish, fault handling). */
  Kernel = 3,
  /** Kernel code the CPU runs for a kernel effect (a queued lock's code): returns to the frame below. */
  Call = 4,
}

export interface Frame {
  // biome-ignore lint/suspicious/noExplicitAny: frames hold guest and kernel generators alike.
  gen: Generator<any, unknown, any>;
  /**
   * Whether `gen.next` is the built-in generator `next` (a generator function's object, not a
   * hand-written iterator): the CPU then calls the built-in directly (GENERATOR_NEXT) instead of
   * looking `next` up on objects of a hundred generator functions' maps, a megamorphic load per
   * effect (issue 14).
   */
  native: boolean;
  kind: FrameKind;
  /** The value the generator is resumed with next. */
  resume: unknown;
  /** Cycles of an interrupted compute effect still to run before the generator resumes. */
  computeLeftCycles: number;
  /** Of that compute, thousandths that stall on memory (HW-14), and the node holding it (-1: none). */
  computeMemPermille: number;
  computeMemNode: number;
}

export interface ExecContext {
  /** Context id (the kernel's tid; idle contexts use negative ids). */
  readonly id: number;
  readonly frames: Frame[];
  /** CPU time charged while this context was current (user and kernel). */
  cpuTimeNs: number;
  /** Address-space id: a switch between different ones costs a CR3 load. */
  readonly asid: number;
}

/** A frame's generator, whatever it yields and is resumed with. */
// biome-ignore lint/suspicious/noExplicitAny: frames hold guest and kernel generators alike.
type AnyGen = Generator<any, unknown, any>;

/** %GeneratorPrototype%.next, the `next` of every generator object. */
export const GENERATOR_NEXT: (this: AnyGen, value: unknown) => ReturnType<AnyGen['next']> =
  Object.getPrototypeOf(function* () {}).prototype.next;

export function makeFrame(
  // biome-ignore lint/suspicious/noExplicitAny: see Frame.gen.
  gen: Generator<any, unknown, any>,
  kind: FrameKind,
): Frame {
  return {
    gen,
    native: gen.next === GENERATOR_NEXT,
    kind,
    resume: undefined,
    computeLeftCycles: 0,
    computeMemPermille: 0,
    computeMemNode: -1,
  };
}
