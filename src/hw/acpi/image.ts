/**
 * Firmware tables placed in simulated physical memory, where a PC's firmware leaves them:
 *
 * - `bios`: the RSDP on a 16-byte boundary in the BIOS area 0xE0000–0xFFFFF and the tables
 *   below it; the bootloader passes nothing, so the kernel must scan (K22);
 * - `ebda`: the RSDP in the first KiB of the extended BIOS data area, whose segment the BIOS data
 *   area holds at 0x40E (ACPI 6.5 §5.2.5.1; Linux drivers/acpi/acpica/tbxfroot.c scans both);
 * - `uefi`: RSDP and tables in EFI reserved memory outside the legacy areas; only the pointer the
 *   bootloader hands over finds them (as Redox's bootloader passes it, and UEFI's config table).
 * - `reserved`: the same hand-off, with the tables in frames reserved above usable RAM
 *   (PhysicalMemory.reserveAbove), so the frames the kernel allocates are the ones it got before
 *   the tables were in memory: what every machine the board builds uses.
 *
 * The frames are claimed from a fresh PhysicalMemory through its public allocator (frames come
 * out in order on a fresh node 0, so claiming 1..N reaches the fixed addresses; the ones not
 * holding firmware are given back at once). Frame 0 is never handed out by PhysicalMemory (it
 * keeps physical address 0 invalid), so the two BIOS-data-area bytes of the EBDA pointer are
 * kept by the image itself and served by `read8`.
 */
import { assert } from '../../engine/assert.ts';
import { PAGE_SHIFT, PAGE_SIZE, type PhysicalMemory } from '../memory.ts';
import { buildRsdp, buildXsdt } from './root.ts';
import { type TableSet, tableSignature } from './tables.ts';

export type RsdpPlacement = 'bios' | 'ebda' | 'uefi' | 'reserved';

/** BIOS data area word holding the EBDA's real-mode segment. */
export const BDA_EBDA_SEGMENT = 0x40e;
/** Where PC BIOSes put a 1 KiB EBDA just below 640 KiB. */
export const EBDA_BASE = 0x9fc00;
export const BIOS_AREA_BASE = 0xe0000;
export const BIOS_AREA_END = 0x100000;
const BIOS_TABLES_BASE = 0xe0000;
const BIOS_RSDP = 0xf05a0;
const UEFI_TABLES_BASE = 0x80000;
/** The firmware region is at most 64 KiB of tables (256 CPUs need about 9 KiB). */
const TABLE_REGION_BYTES = 0x10000;
const TABLE_ALIGN = 16;
/**
 * The reserved region packs tables back to back, as QEMU's table blob does (ACPI sets no
 * alignment for SDTs): what follows a table is the next one's header, never zero padding, which
 * matters to Redox's SRAT loop that reads past its table's end (kernel/acpi/redox-numa.ts).
 */
const PACKED_ALIGN = 1;

export interface PlacedTable {
  signature: string;
  address: number;
  length: number;
}

export interface InstallOptions {
  rsdp: RsdpPlacement;
  /** Whether the bootloader hands the kernel the RSDP's address (default: only for `uefi`). */
  handOff?: boolean;
}

/** The firmware image in memory: where the RSDP and tables are, and a byte reader over them. */
export class FirmwareImage {
  readonly rsdpAddress: number;
  /** What the bootloader tells the kernel, or null (the kernel must search). */
  readonly bootloaderRsdp: number | null;
  readonly tables: readonly PlacedTable[];
  readonly frames: readonly number[];
  readonly #memory: PhysicalMemory;
  readonly #owned: ReadonlySet<number>;
  readonly #bda = new Map<number, number>();

  constructor(
    memory: PhysicalMemory,
    frames: number[],
    rsdp: number,
    handOff: boolean,
    tables: PlacedTable[],
  ) {
    this.#memory = memory;
    this.frames = frames;
    this.#owned = new Set(frames);
    this.rsdpAddress = rsdp;
    this.bootloaderRsdp = handOff ? rsdp : null;
    this.tables = tables;
  }

  /** Sets the BIOS data area's EBDA segment word. */
  setEbdaSegment(segment: number): void {
    this.#bda.set(BDA_EBDA_SEGMENT, segment & 0xff);
    this.#bda.set(BDA_EBDA_SEGMENT + 1, (segment >>> 8) & 0xff);
  }

  /** The byte at physical `address`, or undefined where no firmware memory is (never throws). */
  read8(address: number): number | undefined {
    if (!Number.isInteger(address) || address < 0) return undefined;
    const bda = this.#bda.get(address);
    if (bda !== undefined) return bda;
    const frame = Math.floor(address / PAGE_SIZE);
    if (!this.#owned.has(frame)) return undefined;
    const offset = address - frame * PAGE_SIZE;
    const word = this.#memory.words(frame)[offset >>> 2]!;
    return (word >>> ((offset & 3) * 8)) & 0xff;
  }

  /** Writes bytes at a physical address inside the image's frames (firmware setup only). */
  write(address: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const at = address + i;
      const frame = Math.floor(at / PAGE_SIZE);
      assert(this.#owned.has(frame), 'acpi: firmware write outside its frames');
      const words = this.#memory.words(frame);
      const offset = at - frame * PAGE_SIZE;
      const shift = (offset & 3) * 8;
      words[offset >>> 2] = (words[offset >>> 2]! & ~(0xff << shift)) | (bytes[i]! << shift);
    }
  }
}

/** Physical addresses for each table from `base`, 16-byte aligned, XSDT last. */
function layOut(
  tables: TableSet,
  base: number,
  align = TABLE_ALIGN,
): { placed: PlacedTable[]; xsdt: Uint8Array; end: number } {
  let at = base;
  const placed: PlacedTable[] = [];
  for (const t of tables) {
    placed.push({ signature: tableSignature(t), address: at, length: t.bytes.length });
    at += Math.ceil(t.bytes.length / align) * align;
  }
  const xsdt = buildXsdt(placed.map((p) => p.address));
  placed.push({ signature: 'XSDT', address: at, length: xsdt.length });
  at += Math.ceil(xsdt.length / align) * align;
  return { placed, xsdt, end: at };
}

/**
 * Claims frames 1..`lastFrame` of a fresh memory in order, keeps those in `keep` and gives the
 * rest back. Fails loudly if the memory was already used (the frames would not be the ones asked).
 */
function claimFrames(memory: PhysicalMemory, lastFrame: number, keep: (frame: number) => boolean): number[] {
  const claimed: number[] = [];
  for (let want = 1; want <= lastFrame; want++) {
    const got = memory.allocFrame(0);
    assert(got === want, `acpi: firmware needs a fresh memory (frame ${want} asked, ${got} given)`);
    claimed.push(got);
  }
  for (const f of claimed) if (!keep(f)) memory.freeFrame(f);
  return claimed.filter(keep);
}

/** Places `tables`, an XSDT and the RSDP after them in frames reserved above usable RAM. */
function installReserved(memory: PhysicalMemory, tables: TableSet, options: InstallOptions): FirmwareImage {
  const base = memory.frameCount * PAGE_SIZE;
  const { placed, xsdt, end } = layOut(tables, base, PACKED_ALIGN);
  const frames = memory.reserveAbove(Math.ceil((end + 36 - base) / PAGE_SIZE));
  const image = new FirmwareImage(memory, frames, end, options.handOff ?? true, placed);
  tables.forEach((t, i) => {
    image.write(placed[i]!.address, t.bytes);
  });
  image.write(placed[placed.length - 1]!.address, xsdt);
  image.write(end, buildRsdp(placed[placed.length - 1]!.address));
  return image;
}

/** Places `tables`, an XSDT and an RSDP in `memory` (fresh) as `options.rsdp` says. */
export function installFirmware(
  memory: PhysicalMemory,
  tables: TableSet,
  options: InstallOptions,
): FirmwareImage {
  if (options.rsdp === 'reserved') return installReserved(memory, tables, options);
  const base = options.rsdp === 'uefi' ? UEFI_TABLES_BASE : BIOS_TABLES_BASE;
  const { placed, xsdt, end } = layOut(tables, base);
  assert(end - base <= TABLE_REGION_BYTES, 'acpi: tables exceed the firmware region');
  const rsdpAt = options.rsdp === 'uefi' ? end : options.rsdp === 'ebda' ? EBDA_BASE + 0x10 : BIOS_RSDP;
  const frameOf = (a: number) => a >>> PAGE_SHIFT;
  const keep = new Set<number>([frameOf(rsdpAt), frameOf(rsdpAt + 35)]);
  for (let f = frameOf(base); f <= frameOf(end - 1); f++) keep.add(f);
  const lastFrame = Math.max(...keep);
  assert(memory.frameCount / memory.nodeCount > lastFrame, 'acpi: node 0 too small for the firmware area');
  const frames = claimFrames(memory, lastFrame, (f) => keep.has(f));
  const image = new FirmwareImage(memory, frames, rsdpAt, options.handOff ?? options.rsdp === 'uefi', placed);
  tables.forEach((t, i) => {
    image.write(placed[i]!.address, t.bytes);
  });
  image.write(placed[placed.length - 1]!.address, xsdt);
  image.write(rsdpAt, buildRsdp(placed[placed.length - 1]!.address));
  if (options.rsdp === 'ebda') image.setEbdaSegment(EBDA_BASE >>> 4);
  return image;
}
