/**
 * pcid's driver channel protocol (issue 18), as redox-os/drivers pcid/src/driver_interface/
 * mod.rs (20ffe4d7) defines it: a driver writes one bincode-serialised `PcidClientRequest` to its
 * `pci:<function>/channel`, then reads the `PcidClientResponse` pcid serialised behind an 8-byte
 * little-endian length (scheme.rs write_channel). bincode 1's default encoding, which pcid uses:
 * little-endian fixed-width integers, an enum as its u32 variant index then its fields, an
 * Option as a u8 tag (0 None, 1 Some) then the value, a bool as a u8, a Vec as a u64 length then
 * its elements, struct fields in declaration order.
 *
 * Both sides share this codec: guest drivers (services/drivers/pcid-client.ts) and the kernel's
 * pci: scheme (kernel/devio/pcid-channel.ts). Types and pure functions only.
 */

/** PciFeature. */
export const Feature = { Msi: 0, MsiX: 1 } as const;
export type Feature = (typeof Feature)[keyof typeof Feature];

/** PciBar: None, Memory32 { addr, size }, Memory64 { addr, size }, Port(u16). */
export type PciBar =
  | { readonly kind: 'none' }
  | { readonly kind: 'memory32'; readonly addr: number; readonly size: number }
  | { readonly kind: 'memory64'; readonly addr: number; readonly size: number }
  | { readonly kind: 'port'; readonly port: number };

/** FullDeviceId. */
export interface FullDeviceId {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly classCode: number;
  readonly subclass: number;
  readonly interface: number;
  readonly revision: number;
}

/** SubdriverArguments { func: PciFunction } (`phandled` is always None on x86). */
export interface PciFunctionConfig {
  readonly segment: number;
  readonly bus: number;
  readonly device: number;
  readonly function: number;
  readonly bars: readonly PciBar[];
  /** LegacyInterruptLine's irq, or null: no INTx. */
  readonly legacyIrq: number | null;
  readonly id: FullDeviceId;
}

export interface MsiInfo {
  readonly log2MultipleMessageCapable: number;
  readonly is64bit: boolean;
  readonly hasPerVectorMasking: boolean;
}

export interface MsixInfo {
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly tableSize: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

/** PcidClientRequest, by variant index. SetFeatureInfo carries only MsiX's function_mask here. */
export type PcidRequest =
  | { readonly op: 'EnableDevice' }
  | { readonly op: 'RequestConfig' }
  | { readonly op: 'RequestFeatures' }
  | { readonly op: 'RequestVendorCapabilities' }
  | { readonly op: 'EnableFeature'; readonly feature: Feature }
  | { readonly op: 'FeatureInfo'; readonly feature: Feature }
  | { readonly op: 'SetMsixFunctionMask'; readonly mask: boolean | null }
  | { readonly op: 'ReadConfig'; readonly offset: number }
  | { readonly op: 'WriteConfig'; readonly offset: number; readonly value: number };

/** PcidServerResponseError: NonexistentFeature(PciFeature) 0, InvalidBitPattern 1. */
export type PcidError =
  | { readonly error: 'NonexistentFeature'; readonly feature: Feature }
  | { readonly error: 'InvalidBitPattern' };

/** PcidClientResponse, by variant index (FeatureStatus 5 is never sent by pcid's handler). */
export type PcidResponse =
  | { readonly op: 'EnabledDevice' }
  | { readonly op: 'Config'; readonly config: PciFunctionConfig }
  | { readonly op: 'AllFeatures'; readonly features: readonly Feature[] }
  | { readonly op: 'VendorCapabilities'; readonly capabilities: readonly Uint8Array[] }
  | { readonly op: 'FeatureEnabled'; readonly feature: Feature }
  | { readonly op: 'Error'; readonly error: PcidError }
  | { readonly op: 'FeatureInfo'; readonly info: { readonly msi: MsiInfo } | { readonly msix: MsixInfo } }
  | { readonly op: 'SetFeatureInfo'; readonly feature: Feature }
  | { readonly op: 'ReadConfig'; readonly value: number }
  | { readonly op: 'WriteConfig' };

const REQUEST_TAGS = [
  'EnableDevice',
  'RequestConfig',
  'RequestFeatures',
  'RequestVendorCapabilities',
  'EnableFeature',
  'FeatureInfo',
  'SetFeatureInfo',
  'ReadConfig',
  'WriteConfig',
] as const;
const RESPONSE_TAGS = [
  'EnabledDevice',
  'Config',
  'AllFeatures',
  'VendorCapabilities',
  'FeatureEnabled',
  'FeatureStatus',
  'Error',
  'FeatureInfo',
  'SetFeatureInfo',
  'ReadConfig',
  'WriteConfig',
] as const;
/** SetFeatureInfo's variants: Msi(MsiSetFeatureInfo) 0, MsiX { function_mask } 1. */
const SET_MSIX = 1;
/** The largest response a driver accepts (pcid_interface's recv: "buffer too large"). */
export const RESPONSE_MAX_BYTES = 0x10_0000;
/** The length pcid puts before each response. */
export const LENGTH_PREFIX_BYTES = 8;

class Writer {
  readonly bytes: number[] = [];
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** A bincode reader; every read past the end throws (the caller answers EINVAL). */
class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  u8(): number {
    if (this.at >= this.bytes.length) throw new RangeError('pcid: message too short');
    return this.bytes[this.at++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  u64(): number {
    return this.u32() + this.u32() * 2 ** 32;
  }
  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new RangeError('pcid: bad bool');
    return b === 1;
  }
  feature(): Feature {
    const f = this.u32();
    if (f !== Feature.Msi && f !== Feature.MsiX) throw new RangeError('pcid: bad feature');
    return f;
  }
  option<T>(read: () => T): T | null {
    return this.bool() ? read() : null;
  }
}

export function encodeRequest(r: PcidRequest): Uint8Array {
  const w = new Writer();
  if (r.op === 'SetMsixFunctionMask') {
    w.u32(REQUEST_TAGS.indexOf('SetFeatureInfo'))
      .u32(SET_MSIX)
      .u8(r.mask === null ? 0 : 1);
    if (r.mask !== null) w.u8(r.mask ? 1 : 0);
    return w.done();
  }
  w.u32(REQUEST_TAGS.indexOf(r.op));
  if (r.op === 'EnableFeature' || r.op === 'FeatureInfo') w.u32(r.feature);
  if (r.op === 'ReadConfig' || r.op === 'WriteConfig') w.u16(r.offset);
  if (r.op === 'WriteConfig') w.u32(r.value);
  return w.done();
}

/** The request in `bytes` (trailing bytes ignored, as bincode's deserialize_from), or null. */
export function decodeRequest(bytes: Uint8Array): PcidRequest | null {
  const r = new Reader(bytes);
  try {
    const op = REQUEST_TAGS[r.u32()];
    if (op === undefined) return null;
    if (op === 'EnableFeature' || op === 'FeatureInfo') return { op, feature: r.feature() };
    if (op === 'ReadConfig') return { op, offset: r.u16() };
    if (op === 'WriteConfig') return { op, offset: r.u16(), value: r.u32() };
    if (op === 'SetFeatureInfo') {
      if (r.u32() !== SET_MSIX) return null; // MSI's fields: not served here (irq: programs MSI)
      return { op: 'SetMsixFunctionMask', mask: r.option(() => r.bool()) };
    }
    return { op };
  } catch {
    return null;
  }
}

function writeBar(w: Writer, b: PciBar): void {
  if (b.kind === 'none') w.u32(0);
  else if (b.kind === 'memory32') w.u32(1).u32(b.addr).u32(b.size);
  else if (b.kind === 'memory64') w.u32(2).u64(b.addr).u64(b.size);
  else w.u32(3).u16(b.port);
}

function readBar(r: Reader): PciBar {
  const tag = r.u32();
  if (tag === 0) return { kind: 'none' };
  if (tag === 1) return { kind: 'memory32', addr: r.u32(), size: r.u32() };
  if (tag === 2) return { kind: 'memory64', addr: r.u64(), size: r.u64() };
  if (tag === 3) return { kind: 'port', port: r.u16() };
  throw new RangeError('pcid: bad bar');
}

function writeConfig(w: Writer, c: PciFunctionConfig): void {
  w.u16(c.segment).u8(c.bus).u8(c.device).u8(c.function);
  for (let i = 0; i < 6; i++) writeBar(w, c.bars[i] ?? { kind: 'none' });
  w.u8(c.legacyIrq === null ? 0 : 1);
  if (c.legacyIrq !== null) w.u8(c.legacyIrq).u8(0); // phandled: None
  const id = c.id;
  w.u16(id.vendorId).u16(id.deviceId).u8(id.classCode).u8(id.subclass).u8(id.interface).u8(id.revision);
}

function readConfig(r: Reader): PciFunctionConfig {
  const [segment, bus, device, fn] = [r.u16(), r.u8(), r.u8(), r.u8()];
  const bars = Array.from({ length: 6 }, () => readBar(r));
  const legacyIrq = r.option(() => {
    const irq = r.u8();
    if (r.bool()) throw new RangeError('pcid: phandled interrupt lines are not on x86');
    return irq;
  });
  const id = {
    vendorId: r.u16(),
    deviceId: r.u16(),
    classCode: r.u8(),
    subclass: r.u8(),
    interface: r.u8(),
    revision: r.u8(),
  };
  return { segment, bus, device, function: fn, bars, legacyIrq, id };
}

/** The response as pcid sends it: the 8-byte length, then the bincode body. */
export function encodeResponse(resp: PcidResponse): Uint8Array {
  const w = new Writer();
  w.u32(RESPONSE_TAGS.indexOf(resp.op));
  switch (resp.op) {
    case 'Config':
      writeConfig(w, resp.config);
      break;
    case 'AllFeatures':
      w.u64(resp.features.length);
      for (const f of resp.features) w.u32(f);
      break;
    case 'VendorCapabilities':
      w.u64(resp.capabilities.length);
      for (const c of resp.capabilities) {
        w.u64(c.length);
        for (const b of c) w.u8(b);
      }
      break;
    case 'FeatureEnabled':
    case 'SetFeatureInfo':
      w.u32(resp.feature);
      break;
    case 'Error':
      w.u32(resp.error.error === 'NonexistentFeature' ? 0 : 1);
      if (resp.error.error === 'NonexistentFeature') w.u32(resp.error.feature);
      break;
    case 'FeatureInfo':
      if ('msi' in resp.info) {
        const m = resp.info.msi;
        w.u32(Feature.Msi)
          .u32(0)
          .u8(m.log2MultipleMessageCapable)
          .u8(m.is64bit ? 1 : 0);
        w.u8(m.hasPerVectorMasking ? 1 : 0);
      } else {
        const m = resp.info.msix;
        w.u32(Feature.MsiX).u32(1).u8(m.tableBar).u32(m.tableOffset).u16(m.tableSize);
        w.u8(m.pbaBar).u32(m.pbaOffset);
      }
      break;
    case 'ReadConfig':
      w.u32(resp.value);
      break;
    default:
      break;
  }
  const body = w.done();
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, LENGTH_PREFIX_BYTES);
  return out;
}

/** A response body (after its length), or null when it is not one pcid could have sent. */
export function decodeResponse(body: Uint8Array): PcidResponse | null {
  const r = new Reader(body);
  try {
    const op = RESPONSE_TAGS[r.u32()];
    switch (op) {
      case 'EnabledDevice':
      case 'WriteConfig':
        return { op };
      case 'Config':
        return { op, config: readConfig(r) };
      case 'AllFeatures':
        return { op, features: Array.from({ length: r.u64() }, () => r.feature()) };
      case 'VendorCapabilities':
        return {
          op,
          capabilities: Array.from({ length: r.u64() }, () =>
            Uint8Array.from({ length: r.u64() }, () => r.u8()),
          ),
        };
      case 'FeatureEnabled':
      case 'SetFeatureInfo':
        return { op, feature: r.feature() };
      case 'Error': {
        const e = r.u32();
        if (e === 0) return { op, error: { error: 'NonexistentFeature', feature: r.feature() } };
        return e === 1 ? { op, error: { error: 'InvalidBitPattern' } } : null;
      }
      case 'FeatureInfo': {
        r.feature();
        if (r.u32() === 0) {
          const msi = {
            log2MultipleMessageCapable: r.u8(),
            is64bit: r.bool(),
            hasPerVectorMasking: r.bool(),
          };
          return { op, info: { msi } };
        }
        const msix = {
          tableBar: r.u8(),
          tableOffset: r.u32(),
          tableSize: r.u16(),
          pbaBar: r.u8(),
          pbaOffset: r.u32(),
        };
        return { op, info: { msix } };
      }
      case 'ReadConfig':
        return { op, value: r.u32() };
      default:
        return null;
    }
  } catch {
    return null;
  }
}
