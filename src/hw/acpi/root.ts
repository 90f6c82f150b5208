/**
 * The root of the table tree: the RSDP (ACPI 6.5 §5.2.5.3, revision 2, 36 bytes, with both its
 * checksums) pointing at an XSDT (§5.2.8) that lists every other table's physical address.
 */
import { ByteWriter, fixChecksum, OEM_ID, sealTable, writeSdtHeader } from './bytes.ts';
import { RSDP_SIGNATURE, RSDP_V1_BYTES, RSDP_V2_BYTES } from './layout.ts';

/** An RSDP revision 2 naming `xsdtAddress` (and no RSDT, as 64-bit-only firmware may). */
export function buildRsdp(xsdtAddress: number, rsdtAddress = 0): Uint8Array {
  const w = new ByteWriter(RSDP_V2_BYTES);
  w.ascii(0, RSDP_SIGNATURE, 8);
  w.ascii(9, OEM_ID, 6);
  w.u8(15, 2);
  w.u32(16, rsdtAddress);
  w.u32(20, RSDP_V2_BYTES);
  w.u64(24, xsdtAddress);
  const bytes = w.bytes();
  fixChecksum(bytes, 8, 0, RSDP_V1_BYTES);
  fixChecksum(bytes, 32, 0, RSDP_V2_BYTES);
  return bytes;
}

export function buildXsdt(tableAddresses: readonly number[]): Uint8Array {
  const w = new ByteWriter(36 + 8 * tableAddresses.length);
  writeSdtHeader(w, 'XSDT', 1);
  tableAddresses.forEach((address, i) => {
    w.u64(36 + 8 * i, address);
  });
  return sealTable(w);
}
