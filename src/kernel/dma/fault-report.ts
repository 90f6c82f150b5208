/**
 * The kernel's report of IOMMU faults (issue 18, HW-13): each fault record the IOMMU logs (one
 * per faulting transaction, hw/iommu.ts) reaches the fault handler, which prints it rate-limited
 * per device as Linux's AMD IOMMU driver does (drivers/iommu/amd/iommu.c
 * amd_iommu_report_page_fault: `__ratelimit(&dev_data->rs)`, with ratelimit_default_init's
 * DEFAULT_RATELIMIT_INTERVAL of 5 s and DEFAULT_RATELIMIT_BURST of 10, include/linux/ratelimit.h;
 * the window logic is lib/ratelimit.c ___ratelimit): at most 10 lines per device in any 5 s
 * window, the rest counted as suppressed ("N callbacks suppressed" when the window turns over).
 */
import type { IommuFault } from '../../hw/iommu.ts';

export const RATELIMIT_INTERVAL_NS = 5_000_000_000;
export const RATELIMIT_BURST = 10;

interface RateState {
  beginNs: number;
  printed: number;
  missed: number;
}

export class FaultReport {
  /** The lines the kernel printed, as AMD-Vi's "Event logged [IO_PAGE_FAULT ...]". */
  readonly lines: string[] = [];
  /** Fault records not printed for the rate limit. */
  suppressed = 0;
  readonly #states = new Map<number, RateState>();

  /** The fault handler's look at one new fault record. */
  note(f: IommuFault): void {
    if (!this.#allowed(f.device, f.timeNs)) {
      this.suppressed++;
      return;
    }
    const bdf = `${hex2(f.device >> 8)}:${hex2((f.device >> 3) & 0x1f)}.${f.device & 7}`;
    const domain = f.domain === null ? 'none' : `0x${f.domain.toString(16)}`;
    this.lines.push(
      `AMD-Vi: Event logged [IO_PAGE_FAULT device=${bdf} domain=${domain} address=0x${f.iova.toString(16)} flags=${f.write ? 'write' : 'read'}]`,
    );
  }

  /** ___ratelimit: true when this call may print. */
  #allowed(device: number, nowNs: number): boolean {
    let s = this.#states.get(device);
    if (s === undefined) {
      s = { beginNs: nowNs, printed: 0, missed: 0 };
      this.#states.set(device, s);
    }
    if (nowNs > s.beginNs + RATELIMIT_INTERVAL_NS) {
      if (s.missed > 0) this.lines.push(`amd_iommu_report_page_fault: ${s.missed} callbacks suppressed`);
      s.beginNs = nowNs;
      s.printed = 0;
      s.missed = 0;
    }
    if (s.printed < RATELIMIT_BURST) {
      s.printed++;
      return true;
    }
    s.missed++;
    return false;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
