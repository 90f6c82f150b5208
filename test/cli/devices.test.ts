// Malformed device, quirk, routing and IOMMU settings in a scenario file are refused by the
// command with exit status 2 and one line naming the file, the field and what is allowed
// (issue 18; DESIGN.md "bad input").
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { smpsim } from '../support/cli.ts';

const WORKLOAD = '[[workload]]\nkind = "program"\nprogram = "nvmed"\n';

function scenario(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'smpsim-devices-')), 'bad.toml');
  writeFileSync(path, `name = "bad"\n${body}\n${WORKLOAD}`);
  return path;
}

const CASES: [string, string, string][] = [
  ['[[device]]\nkind = "ahci"', 'device.0.kind', 'nvme, e1000'],
  ['[[device]]\nkind = "nvme"\nquirks = ["NO_MSIXX"]', 'device.0.quirks.0', 'FORCE_LEGACY, NO_MSI, NO_MSIX'],
  ['[[device]]\nkind = "nvme"\nquirks = "NO_MSI"', 'device.0.quirks', 'FORCE_LEGACY, NO_MSI, NO_MSIX'],
  ['[[device]]\nkind = "nvme"\ndma_bits = 8', 'device.0.dma_bits', '16'],
  ['[[device]]\nkind = "nvme"\nqueues = 0', 'device.0.queues', '1'],
  ['[[device]]\nkind = "e1000"\npacket_bytes = 9000', 'device.0.packet_bytes', '1518'],
  [
    '[[device]]\nkind = "nvme"\nname = "disk"\n[[device]]\nkind = "nvme"\nname = "disk"',
    'device.1.name',
    'unique',
  ],
  ['[kernel]\nirq_routing = "spread"\n[[device]]\nkind = "nvme"', 'kernel.irq_routing', 'redox, improved'],
  ['[machine]\ncpus = 2\niommu = "yes"\n[[device]]\nkind = "nvme"', 'machine.iommu', 'true, false'],
  ['[kernel]\nirq_routing = "redox"', 'kernel.irq_routing', '[[device]]'],
  ['[machine]\ncpus = 2\niommu = true', 'machine.iommu', '[[device]]'],
];

for (const [body, field, allowed] of CASES) {
  test(`smpsim run refuses ${field} in ${JSON.stringify(body.split('\n').at(-1))}: exit 2, one line naming file, field and allowed`, async () => {
    const file = scenario(body);
    const outcome = await smpsim('run', file);
    assert.equal(outcome.status, 2, `stderr: ${outcome.err}`);
    const lines = outcome.err.trim().split('\n');
    assert.equal(lines.length, 1, outcome.err);
    assert.ok(lines[0]!.includes(file), lines[0]);
    assert.ok(lines[0]!.includes(`${field}:`), lines[0]);
    assert.ok(lines[0]!.includes(allowed), lines[0]);
  });
}
