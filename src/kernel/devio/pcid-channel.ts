/**
 * pcid's side of a driver channel (issue 18): what redox-os/drivers pcid/src/driver_handler.rs
 * `respond` answers to each PcidClientRequest (abi/pcid.ts), and scheme.rs's channel state
 * (AwaitingData, then AwaitingResponseRead with the length-prefixed response queued: a write
 * while a response waits, or a read with none, is EINVAL; an undecodable request EINVAL).
 *
 * - EnableDevice: memory space and bus mastering on in the command register (enable_function).
 * - RequestConfig: the function's address, BARs, INTx line and ids (SubdriverArguments).
 * - RequestFeatures: MSI and MSI-X as the capability list has them, less what the function's
 *   quirks forbid (FORCE_LEGACY both, NO_MSI MSI, NO_MSIX MSI-X: the kernel's pci_dev flags,
 *   hw/pci/quirks.ts; pcid has no quirks, the improved kernel's PCI core does).
 * - EnableFeature(f): the capability enabled, the other one off (enableMode, irq-program.ts), or
 *   Error(NonexistentFeature). A later irq: open uses that mode. Once a mode is chosen a second
 *   EnableFeature leaves it (the model keeps one mode per function while vectors may be live).
 * - FeatureInfo(f): MsiInfo or MsixInfo from the capability; SetFeatureInfo: MSI-X's function
 *   mask (MSI's fields are refused as undecodable: the irq: scheme programs MSI here).
 * - ReadConfig/WriteConfig: a dword of configuration space (Error(InvalidBitPattern) for an
 *   offset that is not a dword inside the 4 KiB space, where pcid would touch whatever is there).
 * - RequestVendorCapabilities: none (the functions here have no vendor-specific capability).
 */
import {
  Feature,
  type MsiInfo,
  type PciBar,
  type PcidRequest,
  type PcidResponse,
  type PciFunctionConfig,
} from '../../abi/pcid.ts';
import {
  CAP_ID_MSI,
  CAP_ID_MSIX,
  CFG_CLASS,
  CFG_COMMAND,
  CFG_DEVICE,
  CFG_INT_LINE,
  CFG_INT_PIN,
  CFG_VENDOR,
  COMMAND_BUS_MASTER,
  COMMAND_MEMORY,
  findCapability,
} from '../../hw/pci/config-space.ts';
import { MSI_CTRL_64BIT, MSI_CTRL_MASKBIT, MSIX_CTRL_MASKALL, readMsixInfo } from '../../hw/pci/msi-caps.ts';
import type { Kernel } from '../kernel.ts';
import type { Devio, PciFunction } from './devio.ts';
import { type Accesses, enableMode } from './irq-program.ts';

const CFG_REVISION = 0x08;
const CFG_BYTES = 4096;

/** The function as pcid describes it to its driver. */
export function functionConfig(fn: PciFunction): PciFunctionConfig {
  const cfg = fn.cfg;
  const bars: PciBar[] = [{ kind: 'memory32', addr: fn.bar0, size: fn.barBytes }];
  while (bars.length < 6) bars.push({ kind: 'none' });
  const rid = fn.requesterId;
  return {
    segment: 0,
    bus: rid >> 8,
    device: (rid >> 3) & 0x1f,
    function: rid & 7,
    bars,
    legacyIrq: cfg.read(CFG_INT_PIN, 1) === 0 ? null : cfg.read(CFG_INT_LINE, 1),
    id: {
      vendorId: cfg.read(CFG_VENDOR, 2),
      deviceId: cfg.read(CFG_DEVICE, 2),
      classCode: cfg.read(CFG_CLASS + 2, 1),
      subclass: cfg.read(CFG_CLASS + 1, 1),
      interface: cfg.read(CFG_CLASS, 1),
      revision: cfg.read(CFG_REVISION, 1),
    },
  };
}

/** The interrupt features pcid offers: the capabilities present, less the quirks' refusals. */
export function featuresOf(fn: PciFunction): Feature[] {
  const quirks = new Set(fn.quirks);
  if (quirks.has('FORCE_LEGACY')) return [];
  const out: Feature[] = [];
  if (findCapability(fn.cfg, CAP_ID_MSI) > 0 && !quirks.has('NO_MSI')) out.push(Feature.Msi);
  if (findCapability(fn.cfg, CAP_ID_MSIX) > 0 && !quirks.has('NO_MSIX')) out.push(Feature.MsiX);
  return out;
}

function msiInfo(fn: PciFunction, at: number): MsiInfo {
  const control = fn.cfg.read(at + 2, 2);
  return {
    log2MultipleMessageCapable: (control >> 1) & 7,
    is64bit: (control & MSI_CTRL_64BIT) !== 0,
    hasPerVectorMasking: (control & MSI_CTRL_MASKBIT) !== 0,
  };
}

function featureInfo(fn: PciFunction, feature: Feature): PcidResponse {
  const at = findCapability(fn.cfg, feature === Feature.Msi ? CAP_ID_MSI : CAP_ID_MSIX);
  if (at <= 0) return { op: 'Error', error: { error: 'NonexistentFeature', feature } };
  if (feature === Feature.Msi) return { op: 'FeatureInfo', info: { msi: msiInfo(fn, at) } };
  const m = readMsixInfo(fn.cfg, at);
  const msix = {
    tableBar: m.tableBir,
    tableOffset: m.tableOffset,
    tableSize: m.tableSize,
    pbaBar: m.pbaBir,
    pbaOffset: m.pbaOffset,
  };
  return { op: 'FeatureInfo', info: { msix } };
}

function enableFeature(k: Kernel, d: Devio, dev: number, feature: Feature, n: Accesses): PcidResponse {
  const fn = d.functions[dev]!;
  if (!featuresOf(fn).includes(feature))
    return { op: 'Error', error: { error: 'NonexistentFeature', feature } };
  if (d.modes[dev] === null) {
    const mode = feature === Feature.MsiX ? 'msix' : 'msi';
    enableMode(fn, mode, (addr, v) => k.board.devices.mmioWrite(addr, 4, v), n);
    d.modes[dev] = mode;
  }
  return { op: 'FeatureEnabled', feature };
}

function configDword(offset: number): boolean {
  return offset % 4 === 0 && offset + 4 <= CFG_BYTES;
}

/** pcid's answer to `req` for function `dev`; `n` counts the device accesses it made. */
export function respond(k: Kernel, d: Devio, dev: number, req: PcidRequest, n: Accesses): PcidResponse {
  const fn = d.functions[dev]!;
  switch (req.op) {
    case 'EnableDevice':
      fn.cfg.write(CFG_COMMAND, 2, fn.cfg.read(CFG_COMMAND, 2) | COMMAND_MEMORY | COMMAND_BUS_MASTER);
      n.count++;
      return { op: 'EnabledDevice' };
    case 'RequestConfig':
      return { op: 'Config', config: functionConfig(fn) };
    case 'RequestFeatures':
      return { op: 'AllFeatures', features: featuresOf(fn) };
    case 'RequestVendorCapabilities':
      return { op: 'VendorCapabilities', capabilities: [] };
    case 'EnableFeature':
      return enableFeature(k, d, dev, req.feature, n);
    case 'FeatureInfo':
      return featureInfo(fn, req.feature);
    case 'SetMsixFunctionMask': {
      const at = findCapability(fn.cfg, CAP_ID_MSIX);
      if (at <= 0) return { op: 'Error', error: { error: 'NonexistentFeature', feature: Feature.MsiX } };
      if (req.mask !== null) {
        const control = fn.cfg.read(at + 2, 2);
        fn.cfg.write(at + 2, 2, req.mask ? control | MSIX_CTRL_MASKALL : control & ~MSIX_CTRL_MASKALL);
        n.count++;
      }
      return { op: 'SetFeatureInfo', feature: Feature.MsiX };
    }
    case 'ReadConfig':
      if (!configDword(req.offset)) return { op: 'Error', error: { error: 'InvalidBitPattern' } };
      n.count++;
      return { op: 'ReadConfig', value: fn.cfg.read(req.offset, 4) >>> 0 };
    case 'WriteConfig':
      if (!configDword(req.offset)) return { op: 'Error', error: { error: 'InvalidBitPattern' } };
      fn.cfg.write(req.offset, 4, req.value >>> 0);
      n.count++;
      return { op: 'WriteConfig' };
  }
}
