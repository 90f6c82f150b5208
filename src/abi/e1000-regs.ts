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
/**
 * The transmit path (8254x manual §3.3, §13.4.33-13.4.39; Linux e1000_hw.h): TCTL.EN bit 1, the
 * ring TDBAL/TDBAH/TDLEN/TDH/TDT, and the statistics GPTC (good packets transmitted), GOTCL/GOTCH
 * (good octets transmitted; reading GOTCH clears both) and TPT (total packets transmitted), which
 * clear on read. A legacy transmit descriptor is 16 bytes: buffer address (8), length (2), CSO
 * (1), CMD (1: EOP bit 0, IFCS bit 1, RS bit 3), STA (1: DD bit 0), CSS (1), special (2). ICR.TXDW
 * (bit 0): a descriptor with RS was written back.
 */
export const E1000_TCTL = 0x400;
export const TCTL_EN = 1 << 1;
export const TCTL_PSP = 1 << 3;
export const E1000_TDBAL = 0x3800;
export const E1000_TDBAH = 0x3804;
export const E1000_TDLEN = 0x3808;
export const E1000_TDH = 0x3810;
export const E1000_TDT = 0x3818;
export const E1000_GPTC = 0x4080;
export const E1000_GOTCL = 0x4090;
export const E1000_GOTCH = 0x4094;
export const E1000_TPT = 0x40d4;
export const ICR_TXDW = 1 << 0;
export const TX_DESC_BYTES = 16;
export const TXD_CMD_EOP = 1 << 0;
export const TXD_CMD_IFCS = 1 << 1;
export const TXD_CMD_RS = 1 << 3;
export const TXD_STAT_DD = 1 << 0;
/** Preamble and start delimiter (8 bytes) and the inter-frame gap (12) every frame adds on the wire. */
export const WIRE_OVERHEAD_BYTES = 20;
