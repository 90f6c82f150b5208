/**
 * The kernel's side of one capability ring (RING-1): consuming SQEs from sq_head to sq_tail and
 * posting CQEs at cq_tail, over the ring's words in guest memory (abi/capring.ts), with
 * io_uring's FEAT_NODROP overflow (models-2.md §11.5; io_uring/io_uring.c io_cqring_event_overflow
 * and __io_cqring_overflow_flush): a CQE that finds the CQ full waits on an overflow list (at most
 * `overflowCapacity` entries) with RING_SQ_CQ_OVERFLOW set, and is flushed in order as the user
 * frees slots; past the list's capacity a CQE is dropped, cq_overflow counted and the next wait
 * answered -EBADR once.
 *
 * Pure: the words come through a `RingWords` accessor, so the property test drives it over an
 * array and the kernel over uaccess (peekProcess32/pokeProcess32).
 */
import {
  CQ_ENTRIES,
  CQE_BYTES,
  CQE_FLAGS,
  CQE_RESULT,
  CQE_USER_DATA,
  CQE_VALUE,
  RING_CQ_ENTRIES,
  RING_CQ_HEAD,
  RING_CQ_MASK,
  RING_CQ_OVERFLOW,
  RING_CQ_TAIL,
  RING_CQES,
  RING_SQ_CQ_OVERFLOW,
  RING_SQ_ENTRIES,
  RING_SQ_FLAGS,
  RING_SQ_HEAD,
  RING_SQ_MASK,
  RING_SQ_TAIL,
  RING_SQES,
  SQ_ENTRIES,
  SQE_ARG0,
  SQE_ARG1,
  SQE_ARG2,
  SQE_ARG3,
  SQE_BYTES,
  SQE_CAP,
  SQE_OPCODE,
  SQE_USER_DATA,
} from '../../abi/capring.ts';

/** 32-bit word access at a byte offset from the ring's start. */
export interface RingWords {
  load(offset: number): number;
  store(offset: number, value: number): void;
}

export interface Sqe {
  opcode: number;
  cap: number;
  args: [number, number, number, number];
  /** user_data as its two words (lo, hi): it is copied to the CQE untouched. */
  userLo: number;
  userHi: number;
}

export interface Cqe {
  userLo: number;
  userHi: number;
  result: number;
  flags: number;
  /** A non-negative integer below 2^53 (ns, an address, a generation). */
  value: number;
}

/** What became of a posted CQE. */
export enum Posted {
  Ring = 0,
  Overflowed = 1,
  Dropped = 2,
}

/** The ring's kernel-private state: the overflow list and the -EBADR owed. */
export class RingCore {
  readonly words: RingWords;
  readonly overflowCapacity: number;
  readonly overflow: Cqe[] = [];
  /** A CQE was dropped since the last wait that reported it (io_uring's EBADR, once). */
  droppedPending = false;
  /** Counters for the report. */
  posted = 0;
  overflowed = 0;
  dropped = 0;

  constructor(words: RingWords, overflowCapacity: number) {
    this.words = words;
    this.overflowCapacity = overflowCapacity;
  }

  /** io_uring_setup's part: the masks and sizes the user reads, every index at 0. */
  init(): void {
    const w = this.words;
    w.store(RING_SQ_MASK, SQ_ENTRIES - 1);
    w.store(RING_SQ_ENTRIES, SQ_ENTRIES);
    w.store(RING_CQ_MASK, CQ_ENTRIES - 1);
    w.store(RING_CQ_ENTRIES, CQ_ENTRIES);
  }

  /** A ring page handed to a new thread of a reused slot: indexes, flags and lists back to zero. */
  reset(): void {
    for (const o of [
      RING_SQ_HEAD,
      RING_SQ_TAIL,
      RING_SQ_FLAGS,
      RING_CQ_HEAD,
      RING_CQ_TAIL,
      RING_CQ_OVERFLOW,
    ]) {
      this.words.store(o, 0);
    }
    this.overflow.length = 0;
    this.droppedPending = false;
    this.init();
  }

  /** SQEs the user has published and the kernel not consumed (at most SQ_ENTRIES). */
  sqPending(): number {
    const fill = (this.words.load(RING_SQ_TAIL) - this.words.load(RING_SQ_HEAD)) >>> 0;
    return Math.min(fill, SQ_ENTRIES);
  }

  /**
   * Consumes the SQE at sq_head and advances the head (a store-release in io_uring: the user may
   * reuse the slot once it sees the head move). Null when the SQ is empty.
   */
  takeSqe(): Sqe | null {
    if (this.sqPending() === 0) return null;
    const w = this.words;
    const head = w.load(RING_SQ_HEAD);
    const base = RING_SQES + (head & (SQ_ENTRIES - 1)) * SQE_BYTES;
    const sqe: Sqe = {
      opcode: w.load(base + SQE_OPCODE),
      cap: w.load(base + SQE_CAP),
      args: [
        w.load(base + SQE_ARG0),
        w.load(base + SQE_ARG1),
        w.load(base + SQE_ARG2),
        w.load(base + SQE_ARG3),
      ],
      userLo: w.load(base + SQE_USER_DATA),
      userHi: w.load(base + SQE_USER_DATA + 4),
    };
    w.store(RING_SQ_HEAD, (head + 1) >>> 0);
    return sqe;
  }

  /** The CQ tail: how many CQEs were ever posted to the ring, mod 2^32. */
  cqTail(): number {
    return this.words.load(RING_CQ_TAIL);
  }

  /** CQEs posted and not yet consumed by the user. */
  cqReady(): number {
    return (this.words.load(RING_CQ_TAIL) - this.words.load(RING_CQ_HEAD)) >>> 0;
  }

  /** Posts a completion: into the CQ, else onto the overflow list, else dropped (counted). */
  post(cqe: Cqe): Posted {
    this.flush();
    if (this.overflow.length === 0 && this.cqReady() < CQ_ENTRIES) {
      this.#write(cqe);
      this.posted++;
      return Posted.Ring;
    }
    if (this.overflow.length < this.overflowCapacity) {
      this.overflow.push(cqe);
      this.overflowed++;
      this.#setOverflowFlag(true);
      return Posted.Overflowed;
    }
    this.dropped++;
    this.droppedPending = true;
    this.words.store(RING_CQ_OVERFLOW, (this.words.load(RING_CQ_OVERFLOW) + 1) >>> 0);
    return Posted.Dropped;
  }

  /** Moves overflowed CQEs into the CQ, oldest first, while it has room; clears the flag when done. */
  flush(): void {
    while (this.overflow.length > 0 && this.cqReady() < CQ_ENTRIES) {
      this.#write(this.overflow.shift()!);
      this.posted++;
    }
    if (this.overflow.length === 0) this.#setOverflowFlag(false);
  }

  #write(cqe: Cqe): void {
    const w = this.words;
    const tail = w.load(RING_CQ_TAIL);
    const base = RING_CQES + (tail & (CQ_ENTRIES - 1)) * CQE_BYTES;
    w.store(base + CQE_USER_DATA, cqe.userLo >>> 0);
    w.store(base + CQE_USER_DATA + 4, cqe.userHi >>> 0);
    w.store(base + CQE_RESULT, cqe.result | 0);
    w.store(base + CQE_FLAGS, cqe.flags >>> 0);
    w.store(base + CQE_VALUE, cqe.value % 2 ** 32);
    w.store(base + CQE_VALUE + 4, Math.floor(cqe.value / 2 ** 32));
    w.store(RING_CQ_TAIL, (tail + 1) >>> 0); // store-release: the CQE is written first
  }

  #setOverflowFlag(on: boolean): void {
    const flags = this.words.load(RING_SQ_FLAGS);
    const next = on ? flags | RING_SQ_CQ_OVERFLOW : flags & ~RING_SQ_CQ_OVERFLOW;
    if (next !== flags) this.words.store(RING_SQ_FLAGS, next >>> 0);
  }
}
