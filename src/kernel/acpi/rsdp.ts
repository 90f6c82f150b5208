/**
 * Finding the root of the tables: the RSDP and the XSDT or RSDT it points at.
 *
 * Hardened, as Linux's ACPICA does (drivers/acpi/acpica/tbxfroot.c `acpi_find_root_pointer`,
 * `acpi_tb_validate_rsdp`; tbutils.c `acpi_tb_parse_root_table`): use the bootloader's pointer
 * when it is valid, else scan the first KiB of the EBDA (segment at 0x40E) and 0xE0000–0xFFFFF on
 * 16-byte boundaries (K22); check the 20-byte checksum and, from revision 2, the extended one over
 * 36 bytes whatever the length field says, and flag a length out of bounds (K38); check the root
 * table's checksum (K23) and fall back to the RSDT when the XSDT is unusable.
 */
import { BIOS_AREA_BASE, BIOS_AREA_END, BDA_EBDA_SEGMENT } from '../../hw/acpi/image.ts';
import { RSDP_SIGNATURE, RSDP_V1_BYTES, RSDP_V2_BYTES } from '../../hw/acpi/layout.ts';
import { Bytes, hex, SDT_HEADER_BYTES, sdtHeader, sum8 } from './read.ts';
import { type PhysBytes, readPhys, tableAt } from './source.ts';
import { type FirmwareTopology, report, type RsdpInfo } from './types.ts';

const EBDA_WINDOW_BYTES = 1024;
const SCAN_STEP = 16;
/** ACPICA only trusts an EBDA pointer above the interrupt vector table and BDA (tbxfroot.c). */
const EBDA_MIN_ADDRESS = 0x400;
/** An RSDP longer than this is not an RSDP; 36 bytes for every revision up to ACPI 6.5. */
export const RSDP_MAX_BYTES = 4096;

export function rsdpInfo(b: Bytes, address: number, foundBy: RsdpInfo['foundBy']): RsdpInfo {
  return {
    address,
    revision: b.u8(15) ?? 0,
    oemId: b.ascii(9, 6).trimEnd(),
    rsdtAddress: b.u32(16) ?? 0,
    length: b.u32(20) ?? 0,
    xsdtAddress: b.u64(24) ?? 0,
    foundBy,
  };
}

/** Whether 36 bytes at `address` are a valid RSDP by ACPICA's rule. */
function validRsdp(phys: PhysBytes, address: number): Bytes | undefined {
  const b = new Bytes(readPhys(phys, address, RSDP_V2_BYTES));
  if (b.ascii(0, 8) !== RSDP_SIGNATURE || sum8(b.data, 0, RSDP_V1_BYTES) !== 0) return undefined;
  if ((b.u8(15) ?? 0) >= 2 && (b.length < RSDP_V2_BYTES || sum8(b.data, 0, RSDP_V2_BYTES) !== 0))
    return undefined;
  return b;
}

function scan(phys: PhysBytes, from: number, to: number): number | undefined {
  for (let a = from; a + RSDP_V1_BYTES <= to; a += SCAN_STEP) {
    if (phys.read8(a) === 0x52 && validRsdp(phys, a) !== undefined) return a; // 'R'
  }
  return undefined;
}

/** EBDA first, then the BIOS area, as ACPICA's `acpi_find_root_pointer`. */
function scanForRsdp(phys: PhysBytes): { address: number; foundBy: RsdpInfo['foundBy'] } | undefined {
  const lo = phys.read8(BDA_EBDA_SEGMENT);
  const hi = phys.read8(BDA_EBDA_SEGMENT + 1);
  if (lo !== undefined && hi !== undefined) {
    const ebda = ((hi << 8) | lo) << 4;
    if (ebda > EBDA_MIN_ADDRESS) {
      const at = scan(phys, ebda, ebda + EBDA_WINDOW_BYTES);
      if (at !== undefined) return { address: at, foundBy: 'ebda' };
    }
  }
  const at = scan(phys, BIOS_AREA_BASE, BIOS_AREA_END);
  return at === undefined ? undefined : { address: at, foundBy: 'bios-area' };
}

function locateRsdp(phys: PhysBytes, given: number | null, t: FirmwareTopology): RsdpInfo | null {
  if (given !== null) {
    const b = validRsdp(phys, given);
    if (b !== undefined) return rsdpInfo(b, given, 'bootloader');
    report(t, {
      claim: 'K22',
      code: 'rsdp-invalid',
      severity: 'warning',
      table: 'RSDP',
      message: `the bootloader's RSDP at ${hex(given, 5)} has a bad signature or checksum; searching the BIOS areas`,
    });
  }
  const found = scanForRsdp(phys);
  if (found === undefined) {
    report(t, {
      claim: 'K22',
      code: 'rsdp-not-found',
      severity: 'error',
      table: 'RSDP',
      message: 'no RSDP from the bootloader and none in the EBDA or 0xE0000-0xFFFFF: no ACPI tables',
    });
    return null;
  }
  if (given === null) {
    report(t, {
      claim: 'K22',
      code: 'rsdp-scanned',
      severity: 'info',
      table: 'RSDP',
      message: `no RSDP from the bootloader; found at ${hex(found.address, 5)} by scanning the ${found.foundBy}`,
    });
  }
  return rsdpInfo(new Bytes(readPhys(phys, found.address, RSDP_V2_BYTES)), found.address, found.foundBy);
}

function checkRsdpLength(rsdp: RsdpInfo, t: FirmwareTopology): void {
  if (rsdp.revision < 2) return;
  if (rsdp.length < RSDP_V2_BYTES || rsdp.length > RSDP_MAX_BYTES) {
    report(t, {
      claim: 'K38',
      code: 'rsdp-length',
      severity: 'error',
      table: 'RSDP',
      message: `RSDP length ${rsdp.length} outside ${RSDP_V2_BYTES}..${RSDP_MAX_BYTES}: ignored, the extended checksum was taken over ${RSDP_V2_BYTES} bytes`,
    });
  }
}

/** The addresses the root table lists, skipping null entries. */
function rootEntries(
  phys: PhysBytes,
  address: number,
  wide: boolean,
  t: FirmwareTopology,
): number[] | undefined {
  const root = tableAt(phys, address);
  const b = new Bytes(root.bytes);
  const header = sdtHeader(b);
  const want = wide ? 'XSDT' : 'RSDT';
  if (header === undefined || header.signature !== want) return undefined;
  if (sum8(root.bytes) !== 0 || root.bytes.length < header.length) {
    report(t, {
      claim: 'K23',
      code: 'checksum',
      severity: 'warning',
      table: want,
      message: `${want} checksum or length wrong (as Linux, used anyway)`,
    });
  }
  const size = wide ? 8 : 4;
  const out: number[] = [];
  for (let at = SDT_HEADER_BYTES; at + size <= b.length; at += size) {
    const a = wide ? b.u64(at)! : b.u32(at)!;
    if (a !== 0) out.push(a);
  }
  return out;
}

/** Hardened: the RSDP and the table addresses its XSDT (or RSDT) lists. */
export function hardenedRoot(phys: PhysBytes, given: number | null, t: FirmwareTopology): number[] {
  const rsdp = locateRsdp(phys, given, t);
  t.rsdp = rsdp;
  if (rsdp === null) return [];
  checkRsdpLength(rsdp, t);
  if (rsdp.revision >= 2 && rsdp.xsdtAddress !== 0) {
    const entries = rootEntries(phys, rsdp.xsdtAddress, true, t);
    if (entries !== undefined) return entries;
    report(t, {
      claim: 'K23',
      code: 'xsdt-invalid',
      severity: 'warning',
      table: 'XSDT',
      message: `no valid XSDT at ${hex(rsdp.xsdtAddress, 5)}; using the RSDT`,
    });
  }
  const entries = rsdp.rsdtAddress === 0 ? undefined : rootEntries(phys, rsdp.rsdtAddress, false, t);
  if (entries === undefined) {
    report(t, {
      claim: 'K23',
      code: 'root-invalid',
      severity: 'error',
      table: 'RSDT',
      message: 'no valid XSDT or RSDT',
    });
    return [];
  }
  return entries;
}
