/**
 * Interrupt vectors. The IPI vectors are Redox's (`src/arch/x86_shared/ipi.rs`, models.md §6.1);
 * legacy IRQ0 (the PIT) is remapped to 32 as Redox and Linux both do.
 */
export const VEC_PIT = 0x20;
export const VEC_IPI_WAKEUP = 0x40;
export const VEC_IPI_TLB = 0x41;
export const VEC_IPI_SWITCH = 0x42;
export const VEC_IPI_PIT = 0x43;
export const VEC_LAPIC_TIMER = 0x30;
/**
 * The improved kernel's hrtimer one-shot (kernel/hrtimer.ts) when the tick is periodic: Linux's
 * LOCAL_TIMER_VECTOR (arch/x86/include/asm/irq_vectors.h), the LAPIC timer's vector there.
 */
export const VEC_HRTIMER = 0xec;
