/**
 * A driver's handle on its PCI function through pcid's channel (issue 18), as redox-os/drivers
 * pcid/src/driver_interface/mod.rs `PciFunctionHandle`: every question is a bincode request
 * written to `pci:<function>/channel` and a length-prefixed response read back (abi/pcid.ts):
 * `connect` sends RequestConfig; `enableDevice`, `fetchAllFeatures`, `enableFeature`,
 * `featureInfo`, `readConfig`, `writeConfig` and `setMsixFunctionMask` the others. A response
 * of the wrong kind is a driver failure (pcid_interface logs it and exits; here it throws).
 *
 * Finding the channel: Redox's pcid-spawner matches the function and passes its channel to the
 * driver it spawns (PCID_CLIENT_CHANNEL); a scenario names its devices instead, so `pci_open`
 * (abi/syscalls.ts) stays as that hand-off: it tells which function has the name, and the
 * driver opens that entry of the `pci:` directory (listed in bus order, as pcid lists them).
 */
import {
  decodeResponse,
  encodeRequest,
  Feature,
  LENGTH_PREFIX_BYTES,
  type PcidRequest,
  type PcidResponse,
  type PciFunctionConfig,
  RESPONSE_MAX_BYTES,
} from '../../abi/pcid.ts';
import type { Program } from '../../abi/effects.ts';
import { O_DIRECTORY, O_RDONLY, O_RDWR } from '../../abi/fd.ts';
import type { Guest } from '../../abi/guest.ts';
import { SYS_PCI_OPEN } from '../../abi/syscalls.ts';
import { getBytes, putBytes } from '../../libc/io-bytes.ts';
import { close, open, read, readdirAll, write } from '../../libc/io.ts';
import { mmap_anonymous, syscall } from '../../libc/sys.ts';

const BUF_BYTES = 4096;

export interface PciHandle {
  readonly driver: string;
  /** The function's index: the handle the DMA calls take (dma.ts). */
  readonly dev: number;
  readonly channel: number;
  readonly buf: number;
  readonly config: PciFunctionConfig;
}

function fail(h: { driver: string }, what: string): never {
  throw new Error(`${h.driver}: pcid ${what}`);
}

/** One round trip: the request written, the whole response read (length, then body). */
export function* pcidCall(t: Guest, h: Omit<PciHandle, 'config'>, req: PcidRequest): Program<PcidResponse> {
  const bytes = encodeRequest(req);
  putBytes(t, h.buf, bytes);
  if ((yield* write(t, h.channel, h.buf, bytes.length)) !== bytes.length)
    fail(h, `write of ${req.op} failed`);
  if ((yield* read(t, h.channel, h.buf, LENGTH_PREFIX_BYTES)) !== LENGTH_PREFIX_BYTES)
    fail(h, 'length read failed');
  const length = t.load32(h.buf) + t.load32(h.buf + 4) * 2 ** 32;
  if (length > RESPONSE_MAX_BYTES || length > BUF_BYTES) fail(h, 'buffer too large');
  if ((yield* read(t, h.channel, h.buf, length)) !== length) fail(h, 'response read failed');
  const resp = decodeResponse(getBytes(t, h.buf, length));
  if (resp === null) fail(h, "couldn't deserialize pcid message");
  return resp;
}

function* expect<T extends PcidResponse['op']>(
  t: Guest,
  h: PciHandle,
  req: PcidRequest,
  op: T,
): Program<Extract<PcidResponse, { op: T }>> {
  const resp = yield* pcidCall(t, h, req);
  if (resp.op !== op) fail(h, `received wrong pcid response: ${resp.op} to ${req.op}`);
  return resp as Extract<PcidResponse, { op: T }>;
}

/** Opens the channel of the function named `name` and asks for its config (connect_common). */
export function* pcidConnect(t: Guest, driver: string, name: string): Program<PciHandle> {
  const dev = yield* syscall(t, SYS_PCI_OPEN, name);
  if (dev < 0) throw new Error(`${driver}: no PCI function ${name} (${dev})`);
  const buf = yield* mmap_anonymous(t, BUF_BYTES);
  const dir = yield* open(t, 'pci:', O_RDONLY | O_DIRECTORY);
  const entries = (yield* readdirAll(t, dir, buf, BUF_BYTES)) ?? [];
  yield* close(t, dir);
  const entry = entries[dev];
  if (entry === undefined) throw new Error(`${driver}: pci: lists no function ${dev}`);
  const path = `pci:${entry.name}/channel`;
  const channel = yield* open(t, path, O_RDWR);
  if (channel < 0) throw new Error(`${driver}: open ${path} failed`);
  const h = { driver, dev, channel, buf };
  const resp = yield* pcidCall(t, h, { op: 'RequestConfig' });
  if (resp.op !== 'Config') fail(h, `received wrong pcid response: ${resp.op} to RequestConfig`);
  return { ...h, config: resp.config };
}

export function* enableDevice(t: Guest, h: PciHandle): Program<void> {
  yield* expect(t, h, { op: 'EnableDevice' }, 'EnabledDevice');
}

export function* fetchAllFeatures(t: Guest, h: PciHandle): Program<readonly Feature[]> {
  return (yield* expect(t, h, { op: 'RequestFeatures' }, 'AllFeatures')).features;
}

export function* enableFeature(t: Guest, h: PciHandle, feature: Feature): Program<void> {
  const resp = yield* expect(t, h, { op: 'EnableFeature', feature }, 'FeatureEnabled');
  if (resp.feature !== feature) fail(h, 'enabled another feature');
}

/** MSI-X's table size (the interrupt sources the function can signal apart). */
export function* msixTableSize(t: Guest, h: PciHandle): Program<number> {
  const resp = yield* expect(t, h, { op: 'FeatureInfo', feature: Feature.MsiX }, 'FeatureInfo');
  if (!('msix' in resp.info)) fail(h, 'answered MSI info for MSI-X');
  return resp.info.msix.tableSize;
}

export function* readConfig(t: Guest, h: PciHandle, offset: number): Program<number> {
  return (yield* expect(t, h, { op: 'ReadConfig', offset }, 'ReadConfig')).value;
}

export function* writeConfig(t: Guest, h: PciHandle, offset: number, value: number): Program<void> {
  yield* expect(t, h, { op: 'WriteConfig', offset, value }, 'WriteConfig');
}

/** BAR `bir`'s physical address and size; throws for a BAR that is not memory. */
export function memoryBar(h: PciHandle, bir: number): [number, number] {
  const bar = h.config.bars[bir];
  if (bar === undefined || (bar.kind !== 'memory32' && bar.kind !== 'memory64'))
    fail(h, `BAR ${bir} is not a memory BAR`);
  return [bar.addr, bar.size];
}
