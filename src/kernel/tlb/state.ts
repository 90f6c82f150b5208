/**
 * TLB shootdown state shared by the three protocols (issue 15, HW-8, HW-9, K3, K16): the
 * options a scenario chooses, the per-CPU mailboxes each protocol's initiators and targets
 * meet at, the fault plan, and the counters the report reads.
 *
 * The mailboxes are the protocols' shared memory: Redox's per-CPU `wants_tlb_shootdown` flag
 * (with its initiator's ack counter), Red Bear's packed range-and-flag word (P15-3) with a
 * per-target served count, and Linux's per-CPU call-function queue (csd). Every access to one
 * is its own step (shootdown.ts). Red Bear's and Linux's are memory words (words.ts) reached
 * through `port`, so the explorer (issue 17) runs the same code on its own memory; Redox's flag
 * is still a host object (no explorer model drives it).
 */
import type { AddressSpace } from '../vm.ts';
import { HOST_TLB_PORT } from './host-port.ts';
import { type CsdInfo, TlbLayout, type TlbPort, TlbRequests } from './words.ts';

/**
 * `ideal`: every CPU drops the pages at once, free (the MMU as every scenario measured it before
 * TLBs existed: the default). `redox`, `redbear`, `linux`: the protocols of models.md §6.3.
 * `redbear-fixed`: Red Bear's packed word with the full K3 fix (issue 17; redbear.ts): the
 * initiator takes a target's mailbox only when it is free, and waits until its own request has
 * been taken and flushed.
 */
export const TLB_PROTOCOLS = ['ideal', 'redox', 'redbear', 'linux', 'redbear-fixed'] as const;
export type TlbProtocol = (typeof TLB_PROTOCOLS)[number];

export interface TlbOptions {
  protocol: TlbProtocol;
  /** CR4.PCIDE: entries tagged by address space, kept across CR3 writes. */
  pcid: boolean;
  /**
   * Linux only (K16's improvement): an initiator that waited this long for a target logs the
   * CPU that did not answer and carries on. 0: wait for ever, as flush_tlb_mm_range does.
   */
  timeoutNs: number;
  /** Fault injection: ordinals (1-based, over the run) of shootdown IPIs that are lost. */
  dropIpi: readonly number[];
  /** Fault injection: ordinals of target flushes skipped (the target acks without flushing). */
  skipFlush: readonly number[];
}

export const TLB_OPTIONS_DEFAULT: TlbOptions = {
  protocol: 'ideal',
  pcid: false,
  timeoutNs: 0,
  dropIpi: [],
  skipFlush: [],
};

/** One initiator's flush of a range, as its targets see it. */
export interface FlushRequest {
  readonly initiator: number;
  readonly space: AddressSpace;
  readonly vpn: number;
  readonly pages: number;
  /** The space's flush generation this request brings a target to (linux). */
  readonly gen: number;
  /** Targets that have not acknowledged yet. */
  pending: number;
}

/** A read through a TLB entry whose frame was freed (use-after-unmap), as reported. */
export interface StaleRead {
  cpuId: number;
  timeNs: number;
  vaddr: number;
  /** The freed frame the stale entry still maps, and what the page table maps now (-1: nothing). */
  staleFrame: number;
  currentFrame: number;
  write: boolean;
}

/** A target that did not answer within the improved protocol's timeout (K16), as logged. */
export interface ShootdownTimeout {
  initiator: number;
  targets: number[];
  timeNs: number;
}

export class TlbStats {
  shootdowns = 0;
  ipis = 0;
  /** Time initiators spent waiting for acknowledgements, and targets spent flushing. */
  ackWaitNs = 0;
  targetFlushNs = 0;
  droppedIpis = 0;
  skippedFlushes = 0;
  readonly staleReads: StaleRead[] = [];
  readonly timeouts: ShootdownTimeout[] = [];
}

export class TlbState {
  readonly options: TlbOptions;
  readonly stats = new TlbStats();
  /** redox: per CPU, the request whose flag is set for it (wants_tlb_shootdown), or null. */
  readonly redoxFlag: (FlushRequest | null)[];
  /** redbear and linux: their shared words (words.ts), where `layout` puts them, through `port`. */
  readonly port: TlbPort;
  readonly layout: TlbLayout;
  /** The machine's words (HOST_TLB_PORT); unused under the explorer, whose memory holds them. */
  readonly words = new Map<number, number>();
  /** redbear: the requests its mailbox handles name. */
  readonly requests: TlbRequests;
  /** linux: each csd's info (the initiator's request), by csd handle. */
  readonly csdInfo: CsdInfo = new Map();
  #spareCsd: number;
  /** Shootdown IPIs sent and target flushes done so far: the fault plan's ordinals. */
  ipiOrdinal = 0;
  flushOrdinal = 0;

  constructor(cpus: number, options: TlbOptions, port: TlbPort = HOST_TLB_PORT, layoutBase = 0) {
    this.options = options;
    this.redoxFlag = new Array<FlushRequest | null>(cpus).fill(null);
    this.port = port;
    this.layout = new TlbLayout(cpus, layoutBase);
    this.requests = new TlbRequests(port !== HOST_TLB_PORT);
    this.#spareCsd = cpus * cpus + 1;
  }

  /** linux: a csd handle no CPU uses (after a timeout left an initiator's own one queued). */
  spareCsd(): number {
    return this.#spareCsd++;
  }

  /** The next shootdown IPI is lost (fault injection); counts it either way. */
  dropNextIpi(): boolean {
    this.ipiOrdinal++;
    const drop = this.options.dropIpi.includes(this.ipiOrdinal);
    if (drop) this.stats.droppedIpis++;
    else this.stats.ipis++;
    return drop;
  }

  /** The next target flush is skipped (fault injection); counts it either way. */
  skipNextFlush(): boolean {
    this.flushOrdinal++;
    const skip = this.options.skipFlush.includes(this.flushOrdinal);
    if (skip) this.stats.skippedFlushes++;
    return skip;
  }
}
