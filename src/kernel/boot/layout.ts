/**
 * Where bring-up's shared words live in physical memory. The trampoline page is Redox's, at
 * 0x8000 (a SIPI vector of 0x08), with its argument words as trampoline.asm lays them out: the
 * ready flag at +8, the argument pointer at +16, CR3 at +24 and the entry at +32. The page below
 * it holds the globals: Redox's CPU_COUNT and AP_READY, Linux's callin, callout and online masks
 * (one bit per CPU, eight words for 256 CPUs) and the parallel protocol's table of per-CPU block
 * addresses by CPU. Each AP has a per-CPU block (one frame) and a 64 KiB stack.
 */
export const TRAMPOLINE = 0x8000;
export const SIPI_VECTOR = TRAMPOLINE >>> 12;
export const TRAMP_READY = TRAMPOLINE + 8;
export const TRAMP_ARGS = TRAMPOLINE + 16;
export const TRAMP_CR3 = TRAMPOLINE + 24;
export const TRAMP_ENTRY = TRAMPOLINE + 32;
/** The entry word's value: `kstart_ap`, as an id (the model's code is a generator, not bytes). */
export const ENTRY_KSTART_AP = 1;

/** Frame 7 (0x7000): the globals. */
export const GLOBALS = 0x7000;
export const CPU_COUNT = GLOBALS;
export const AP_READY = GLOBALS + 4;
export const CALLIN_MASK = GLOBALS + 64;
export const CALLOUT_MASK = GLOBALS + 128;
export const ONLINE_MASK = GLOBALS + 192;
/** cpu → (APIC id, per-CPU block address) pairs, as Linux's cpuid_to_apicid table (parallel). */
export const CPU_TABLE = GLOBALS + 256;

/** Word offsets in a per-CPU block. */
export const PCR_ID = 0;
export const PCR_APIC = 4;
export const PCR_NODE = 8;
export const PCR_INIT_DONE = 12;
export const PCR_ONLINE = 16;
/** The node word's value before the AP writes it. */
export const NODE_UNSET = 0xffff_ffff;

export const AP_STACK_FRAMES = 16;

/** The word and bit of `cpu` in a mask at `base`. */
export function maskWord(base: number, cpu: number): { addr: number; bit: number } {
  return { addr: base + 4 * (cpu >>> 5), bit: (1 << (cpu & 31)) >>> 0 };
}
