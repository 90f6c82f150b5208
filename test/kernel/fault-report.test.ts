// The kernel's IOMMU fault report (kernel/dma/fault-report.ts): per device at most
// DEFAULT_RATELIMIT_BURST (10) lines in a DEFAULT_RATELIMIT_INTERVAL (5 s) window, the rest
// suppressed and announced when the window turns over (lib/ratelimit.c ___ratelimit).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_IO_PAGE_FAULT } from '../../src/hw/iommu.ts';
import { FaultReport, RATELIMIT_BURST, RATELIMIT_INTERVAL_NS } from '../../src/kernel/dma/fault-report.ts';

const fault = (device: number, timeNs: number, iova = 0x1000) => ({
  type: EVENT_IO_PAGE_FAULT,
  device,
  domain: 1,
  iova,
  write: true,
  timeNs,
});

test('10 lines per device per 5 s; the rest suppressed and counted when the window turns', () => {
  assert.equal(RATELIMIT_BURST, 10);
  assert.equal(RATELIMIT_INTERVAL_NS, 5e9);
  const r = new FaultReport();
  for (let i = 0; i < 25; i++) r.note(fault(0x18, i * 1000));
  assert.equal(r.lines.length, 10);
  assert.equal(r.suppressed, 15);
  assert.equal(
    r.lines[0],
    'AMD-Vi: Event logged [IO_PAGE_FAULT device=00:03.0 domain=0x1 address=0x1000 flags=write]',
  );
  r.note(fault(0x20, 5000)); // another device has its own window
  assert.equal(r.lines.length, 11);
  r.note(fault(0x18, RATELIMIT_INTERVAL_NS)); // still inside the first window (begin + interval)
  assert.equal(r.suppressed, 16);
  r.note(fault(0x18, RATELIMIT_INTERVAL_NS + 1));
  assert.deepEqual(r.lines.slice(-2), [
    'amd_iommu_report_page_fault: 16 callbacks suppressed',
    'AMD-Vi: Event logged [IO_PAGE_FAULT device=00:03.0 domain=0x1 address=0x1000 flags=write]',
  ]);
});
