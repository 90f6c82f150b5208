// PCI configuration space, the MSI and MSI-X capabilities as bytes, message composition, and
// per-vector masking (hw/pci/*): exact bytes and words from the layouts of models-2.md §8.1-8.2
// (Linux include/uapi/linux/pci_regs.h, arch/x86/include/asm/msi.h), plus the quirk fallbacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CAP_ID_MSI,
  CAP_ID_MSIX,
  CFG_COMMAND,
  CFG_STATUS,
  COMMAND_INTX_DISABLE,
  findCapability,
  PciConfigSpace,
} from '../../src/hw/pci/config-space.ts';
import { addMsiCapability, addMsixCapability, readMsixInfo } from '../../src/hw/pci/msi-caps.ts';
import { composeMsi, decodeMsi, fixedTarget, type MsiMessage } from '../../src/hw/pci/msi-message.ts';
import { MsixTable } from '../../src/hw/pci/msix-table.ts';
import { PciInterrupts } from '../../src/hw/pci/pci-interrupts.ts';
import { interruptModeFor, type PciQuirk } from '../../src/hw/pci/quirks.ts';

const NVME = { vendorId: 0x8086, deviceId: 0x0953, classCode: [0x01, 0x08, 0x02] as const, intPin: 1 };

test('MSI message words: 0xFEE base, APIC id in 12-19, vector and delivery mode in the data', () => {
  // dest 3: 0xFEE00000 | 3 << 12 = 0xFEE03000; data = vector 0x41 (edge: bit 14 stays 0).
  assert.deepEqual(composeMsi(fixedTarget(3, 0x41)), { addressLo: 0xfee0_3000, addressHi: 0, data: 0x41 });
  // logical (bit 2) + redirection hint (bit 3), lowest priority (001 << 8), level (bit 15) with assert (bit 14): 0xec | 0x100 | 0xc000.
  const t = {
    destApicId: 0xff,
    logical: true,
    redirectionHint: true,
    vector: 0xec,
    deliveryMode: 1 as const,
    level: true,
  };
  assert.deepEqual(composeMsi(t), { addressLo: 0xfeef_f00c, addressHi: 0, data: 0xc1ec });
  assert.deepEqual(decodeMsi(composeMsi(t)), t);
  assert.throws(() => composeMsi(fixedTarget(256, 0x41)), /needs interrupt remapping/);
  assert.deepEqual(decodeMsi({ addressLo: 0xfed0_0000, addressHi: 0, data: 0x41 }), {
    error: 'address 0xfed00000 is outside 0xFEE00000..0xFEEFFFFF',
  });
});

test('capability list bytes: MSI 64-bit with masking, then MSI-X; the walk finds both', () => {
  const cfg = new PciConfigSpace(NVME);
  const msi = addMsiCapability(cfg, { vectorsLog2: 5, is64: true, perVectorMask: true });
  const msixAt = addMsixCapability(cfg, {
    tableSize: 17,
    tableBir: 0,
    tableOffset: 0x2000,
    pbaBir: 0,
    pbaOffset: 0x3000,
  });
  assert.equal(cfg.read(CFG_STATUS, 2) & 0x10, 0x10); // capability list bit
  assert.equal(cfg.bytes[0x34], 0x40);
  // MSI at 0x40: id 5, next 0x58 (0x40 + 24 bytes), control = MMC 5 << 1 | 64-bit | per-vector mask = 0x18a.
  assert.deepEqual([...cfg.bytes.subarray(0x40, 0x44)], [0x05, 0x58, 0x8a, 0x01]);
  assert.deepEqual(msi, {
    at: 0x40,
    control: 0x42,
    addressLo: 0x44,
    addressHi: 0x48,
    data: 0x4c,
    mask: 0x50,
    pending: 0x54,
  });
  // MSI-X at 0x58: id 0x11, next 0, control 16 (size - 1), table 0x2000 | BIR 0, PBA 0x3000 | BIR 0.
  assert.equal(msixAt, 0x58);
  assert.deepEqual([...cfg.bytes.subarray(0x58, 0x64)], [0x11, 0, 16, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0]);
  assert.equal(findCapability(cfg, CAP_ID_MSI), 0x40);
  assert.equal(findCapability(cfg, CAP_ID_MSIX), 0x58);
  assert.equal(findCapability(cfg, 0x10), 0);
  assert.deepEqual(readMsixInfo(cfg, 0x58), {
    tableSize: 17,
    tableBir: 0,
    tableOffset: 0x2000,
    pbaBir: 0,
    pbaOffset: 0x3000,
  });
  // Read-only fields ignore writes: MMC and the 64-bit bit stay, enable and MME change.
  cfg.write(0x42, 2, 0xffff);
  assert.equal(cfg.read(0x42, 2), 0x18a | 0x71);
  cfg.write(0x5a, 2, 0xffff); // MSI-X control: only function mask and enable are writable
  assert.equal(cfg.read(0x5a, 2), 0xc010);
  // A looping capability list ends after 48 hops (PCI_FIND_CAP_TTL).
  cfg.bytes[0x59] = 0x58;
  assert.equal(findCapability(cfg, 0x10), 0);
});

test('32-bit MSI without masking: data at +8, no mask register', () => {
  const cfg = new PciConfigSpace(NVME);
  const l = addMsiCapability(cfg, { vectorsLog2: 0, is64: false, perVectorMask: false });
  assert.deepEqual(l, {
    at: 0x40,
    control: 0x42,
    addressLo: 0x44,
    addressHi: null,
    data: 0x48,
    mask: null,
    pending: null,
  });
});

function msixFunction() {
  const cfg = new PciConfigSpace(NVME);
  const at = addMsixCapability(cfg, {
    tableSize: 4,
    tableBir: 0,
    tableOffset: 0,
    pbaBir: 0,
    pbaOffset: 0x800,
  });
  const table = new MsixTable(4, 0, 0x800);
  const msi = addMsiCapability(cfg, { vectorsLog2: 2, is64: false, perVectorMask: true });
  const sent: MsiMessage[] = [];
  const line: boolean[] = [];
  const irq = new PciInterrupts({
    cfg,
    msi,
    msix: { at, table },
    send: (m) => sent.push(m),
    setLine: (h) => line.push(h),
  });
  return { cfg, at, table, msi, irq, sent, line };
}

test('MSI-X: masked entries and the function mask set PBA bits; unmasking sends the message', () => {
  const { cfg, at, table, irq, sent } = msixFunction();
  cfg.write(at + 2, 2, 0xc000); // enable + mask all, as Linux's msix_capability_init
  for (let e = 0; e < 4; e++) {
    const m = composeMsi(fixedTarget(e, 0x50 + e));
    table.write(16 * e, m.addressLo);
    table.write(16 * e + 8, m.data);
  }
  cfg.write(at + 2, 2, 0x8000); // clear mask all: entries are still masked (reset state)
  assert.equal(irq.mode, 'msix');
  irq.raise(2);
  assert.deepEqual(sent, []);
  assert.equal(table.read(0x800), 0b100); // PBA bit 2
  table.write(16 * 2 + 12, 0); // unmask entry 2
  assert.deepEqual(sent, [{ addressLo: 0xfee0_2000, addressHi: 0, data: 0x52 }]);
  assert.equal(table.read(0x800), 0);
  irq.raise(2);
  assert.equal(sent.length, 2);
  cfg.write(at + 2, 2, 0xc000); // function mask
  irq.raise(2);
  assert.equal(sent.length, 2);
  cfg.write(at + 2, 2, 0x8000);
  assert.equal(sent.length, 3);
  assert.throws(() => irq.raise(4), /entry 4 of 4/);
});

test('MSI: the vector index goes into the low data bits of the granted block; masked vectors pend', () => {
  const { cfg, msi, irq, sent } = msixFunction();
  const m = composeMsi(fixedTarget(1, 0x60));
  cfg.write(msi.addressLo, 4, m.addressLo);
  cfg.write(msi.data, 2, m.data);
  cfg.write(msi.control, 2, 1 | (2 << 4)); // enable, MME = 2: four vectors 0x60..0x63
  assert.equal(irq.mode, 'msi');
  irq.raise(3);
  irq.raise(5); // folds to 1 (a source beyond the granted block aliases)
  assert.deepEqual(
    sent.map((s) => s.data),
    [0x63, 0x61],
  );
  cfg.write(msi.mask!, 4, 0b1);
  irq.raise(0);
  assert.equal(cfg.read(msi.pending!, 4), 1);
  cfg.write(msi.mask!, 4, 0);
  assert.deepEqual(
    sent.map((s) => s.data),
    [0x63, 0x61, 0x60],
  );
  assert.equal(cfg.read(msi.pending!, 4), 0);
  cfg.write(msi.control, 2, 1); // Redox: MME 0, every source on the one vector
  irq.raise(3);
  assert.equal(sent[3]!.data, 0x60);
});

test('INTx: the pin follows the device level unless command bit 10 disables it', () => {
  const { cfg, irq, line } = msixFunction();
  assert.equal(irq.mode, 'intx');
  irq.raise(0);
  assert.equal(cfg.read(CFG_STATUS, 2) & 0x8, 0x8);
  cfg.write(CFG_COMMAND, 2, COMMAND_INTX_DISABLE);
  irq.setIntx(false);
  assert.deepEqual(line, [true, false, false]);
});

test('quirks make the driver fall back: MSI-X, then MSI, then INTx', () => {
  const all = { msi: true, msix: true };
  const q = (...names: PciQuirk[]) => new Set<PciQuirk>(names);
  assert.equal(interruptModeFor(all, q()), 'msix');
  assert.equal(interruptModeFor(all, q('NO_MSIX')), 'msi');
  assert.equal(interruptModeFor(all, q('NO_MSIX', 'NO_MSI')), 'intx');
  assert.equal(interruptModeFor(all, q('FORCE_LEGACY')), 'intx');
  assert.equal(interruptModeFor({ msi: true, msix: false }, q('NO_MSI')), 'intx');
  assert.equal(interruptModeFor({ msi: false, msix: true }, q('NO_MSI')), 'msix');
});

test('an MSI-X table overlapping its PBA or misaligned is refused', () => {
  assert.throws(() => new MsixTable(4, 0, 0x20), /table at 0x0 and PBA at 0x20/);
  assert.throws(() => new MsixTable(4, 4, 0x800), /table at 0x4/);
  assert.equal(new MsixTable(65, 0, 0x1000).extentBytes, 0x1010);
});
