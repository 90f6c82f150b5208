/**
 * The e1000 receive-path registers the NIC model (hw/devices/e1000.ts) and its userspace driver
 * (services/drivers/e1000d.ts) share (8254x manual; Linux drivers/net/ethernet/intel/e1000/
 * e1000_hw.h): ICR 0xC0 (read clears), ITR 0xC4 (256 ns units), ICS 0xC8, IMS 0xD0, IMC 0xD8,
 * the receive ring RDBAL/RDBAH/RDLEN/RDH/RDT, MPC, RAL0/RAH0 (the MAC address); a legacy receive descriptor is 16 bytes.
 * Constants only.
 */
export const E1000_ICR = 0xc0;
export const E1000_ITR = 0xc4;
export const E1000_ICS = 0xc8;
export const E1000_IMS = 0xd0;
export const E1000_IMC = 0xd8;
export const E1000_RDBAL = 0x2800;
export const E1000_RDBAH = 0x2804;
export const E1000_RDLEN = 0x2808;
export const E1000_RDH = 0x2810;
export const E1000_RDT = 0x2818;
export const E1000_MPC = 0x4010;
/** Receive address 0, low and high: the MAC address the EEPROM loaded (bytes 0-3, 4-5; AV bit 31). */
export const E1000_RAL0 = 0x5400;
export const E1000_RAH0 = 0x5404;
export const RAH_AV = 1 << 31;
export const ICR_RXO = 1 << 6;
export const ICR_RXT0 = 1 << 7;
export const RX_DESC_BYTES = 16;
export const ITR_UNIT_NS = 256;
