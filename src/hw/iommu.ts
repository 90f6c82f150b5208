/**
 * An IOMMU (issue 18, HW-13; models-2.md §9.3, §9.5, §9.7): domains of IOVA page -> physical
 * frame mappings with read/write permission, devices (by requester id) attached to a domain, and
 * a DmaPort per device that translates every access through its domain. An access to an
 * unmapped IOVA, or one its permission forbids, is not performed: memory is untouched, a read
 * returns all ones (an aborted completion), and an event is logged as AMD-Vi's IO_PAGE_FAULT
 * (event type 2; drivers/iommu/amd/amd_iommu_types.h) with device, domain, address and access.
 * A device attached to no domain faults every access (AMD-Vi with a valid DTE and no
 * translation; VT-d "context entry not present"). The operations follow Linux's
 * `iommu_domain_ops`: attach (EBUSY when attached elsewhere), map pages (EEXIST over a mapping),
 * unmap (bytes unmapped), iova_to_phys (null for unmapped). No IOTLB is modelled.
 *
 * One fault is recorded per faulting transaction, not per 4-byte access: the devices here move a
 * page (an NVMe PRP entry, a receive buffer) as one burst at one instant, so consecutive faulting
 * accesses by the same device, in the same direction, to the same IOVA page at the same time are
 * one request the IOMMU aborted and logs once (AMD-Vi logs an IO_PAGE_FAULT per faulting
 * request; VT-d records one fault per faulting request in its fault recording registers).
 * `blockedAccesses` counts every access stopped. The kernel's report of the log is rate-limited
 * (kernel/dma/fault-report.ts, wired through `onFault`).
 */
import type { DmaPort } from './dma-port.ts';
import { PAGE_SHIFT } from './memory.ts';

export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;
export const EVENT_IO_PAGE_FAULT = 2;
/** Event log entries kept (AMD's 8 KiB log of 16-byte entries); later faults are counted only. */
export const EVENT_LOG_ENTRIES = 512;

export interface IommuFault {
  readonly type: number;
  readonly device: number;
  readonly domain: number | null;
  readonly iova: number;
  readonly write: boolean;
  readonly timeNs: number;
}

const PAGE = 2 ** PAGE_SHIFT;

export class Iommu {
  readonly events: IommuFault[] = [];
  overflowed = 0;
  /** Every 4-byte access stopped, whether it began a new fault record or continued one. */
  blockedAccesses = 0;
  /** Hears each new fault record (a faulting transaction): the kernel's fault handler. */
  onFault: ((fault: IommuFault) => void) | null = null;
  #last: IommuFault | null = null;
  readonly #domains = new Map<number, Map<number, { frame: number; prot: number }>>();
  readonly #attached = new Map<number, number>();
  readonly #inner: DmaPort;
  readonly #now: () => number;
  #nextDomain = 1;

  /** `inner` is the memory side (the direct port); `now` the simulated time for the log. */
  constructor(inner: DmaPort, now: () => number) {
    this.#inner = inner;
    this.#now = now;
  }

  createDomain(): number {
    const id = this.#nextDomain++;
    this.#domains.set(id, new Map());
    return id;
  }

  attach(domain: number, device: number): 0 | 'EBUSY' | 'ENODEV' {
    if (!this.#domains.has(domain)) return 'ENODEV';
    const cur = this.#attached.get(device);
    if (cur !== undefined && cur !== domain) return 'EBUSY';
    this.#attached.set(device, domain);
    return 0;
  }

  detach(device: number): void {
    this.#attached.delete(device);
  }

  /** Maps `pages` pages from `iova` to consecutive frames from `frame`. */
  map(domain: number, iova: number, frame: number, pages: number, prot: number): 0 | 'EEXIST' | 'EINVAL' {
    const table = this.#domains.get(domain);
    if (!table || iova % PAGE !== 0 || pages < 1) return 'EINVAL';
    const first = iova / PAGE;
    for (let p = 0; p < pages; p++) if (table.has(first + p)) return 'EEXIST';
    for (let p = 0; p < pages; p++) table.set(first + p, { frame: frame + p, prot });
    return 0;
  }

  /** Unmaps `pages` pages from `iova`; returns the bytes that were mapped. */
  unmap(domain: number, iova: number, pages: number): number {
    const table = this.#domains.get(domain);
    if (!table) return 0;
    let bytes = 0;
    for (let p = 0; p < pages; p++) if (table.delete(iova / PAGE + p)) bytes += PAGE;
    return bytes;
  }

  iovaToPhys(domain: number, iova: number): number | null {
    const e = this.#domains.get(domain)?.get(Math.floor(iova / PAGE));
    return e ? e.frame * PAGE + (iova % PAGE) : null;
  }

  /** The port a device's DMA goes through. */
  port(device: number): DmaPort {
    return {
      read32: (iova) => {
        const phys = this.#translate(device, iova, false);
        return phys === null ? 0xffff_ffff : this.#inner.read32(phys);
      },
      write32: (iova, value) => {
        const phys = this.#translate(device, iova, true);
        if (phys !== null) this.#inner.write32(phys, value);
      },
    };
  }

  #translate(device: number, iova: number, write: boolean): number | null {
    const domain = this.#attached.get(device) ?? null;
    const e = domain === null ? undefined : this.#domains.get(domain)!.get(Math.floor(iova / PAGE));
    if (e && (e.prot & (write ? IOMMU_WRITE : IOMMU_READ)) !== 0) return e.frame * PAGE + (iova % PAGE);
    this.blockedAccesses++;
    const timeNs = this.#now();
    const last = this.#last;
    const sameTransaction =
      last !== null &&
      last.device === device &&
      last.write === write &&
      last.timeNs === timeNs &&
      Math.floor(last.iova / PAGE) === Math.floor(iova / PAGE);
    if (sameTransaction) return null;
    const fault = { type: EVENT_IO_PAGE_FAULT, device, domain, iova, write, timeNs };
    this.#last = fault;
    if (this.events.length < EVENT_LOG_ENTRIES) this.events.push(fault);
    else this.overflowed++;
    this.onFault?.(fault);
    return null;
  }
}
