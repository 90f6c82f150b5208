/**
 * Where each ISA IRQ 0-15 lands: its GSI, polarity and trigger, from the MADT's interrupt source
 * overrides (models-2.md §7.2), in the two kernels' ways.
 * - `redox` (src/arch/x86_shared/device/ioapic.rs `handle_src_override`, `init`): an override
 *   with a reserved polarity or trigger encoding is dropped entirely; "conforms to bus" becomes
 *   the ISA default, edge / active-high.
 * - `improved` (Linux arch/x86/kernel/acpi/boot.c `mp_override_legacy_irq`, io_apic.c
 *   `irq_polarity`/`irq_trigger`): the override is kept; a reserved polarity is taken as
 *   active-low and a reserved trigger as level, with a warning, as Linux does.
 * In both, an IRQ k without an override of its own is identity-mapped to GSI k unless another
 * override already targets GSI k, when it stays unmapped (Redox's loop; Linux's
 * `mp_config_acpi_legacy_irqs` skips a pin already in use the same way). Only bus 0 counts.
 */
import type { InterruptOverride } from '../acpi/types.ts';

export type RoutingMode = 'redox' | 'improved';

export interface LegacyRoute {
  readonly irq: number;
  readonly gsi: number;
  readonly activeLow: boolean;
  readonly level: boolean;
}

export interface LegacyRoutes {
  /** Indexed by ISA IRQ; null: unmapped. */
  readonly routes: readonly (LegacyRoute | null)[];
  readonly warnings: readonly string[];
}

export const ISA_IRQS = 16;

export function legacyRoutes(mode: RoutingMode, overrides: readonly InterruptOverride[]): LegacyRoutes {
  const warnings: string[] = [];
  const own = new Map<number, LegacyRoute>();
  for (const o of overrides) {
    if (o.bus !== 0 || o.sourceIrq >= ISA_IRQS || own.has(o.sourceIrq)) continue;
    const reserved = o.polarity === 'reserved' || o.trigger === 'reserved';
    if (reserved && mode === 'redox') continue; // dropped, not recorded
    if (reserved)
      warnings.push(
        `IRQ ${o.sourceIrq}: reserved override flags (polarity ${o.polarity}, trigger ${o.trigger})`,
      );
    own.set(o.sourceIrq, {
      irq: o.sourceIrq,
      gsi: o.gsi,
      activeLow: o.polarity === 'low' || o.polarity === 'reserved',
      level: o.trigger === 'level' || o.trigger === 'reserved',
    });
  }
  const targeted = new Set([...own.values()].map((r) => r.gsi));
  const routes: (LegacyRoute | null)[] = [];
  for (let irq = 0; irq < ISA_IRQS; irq++) {
    const r = own.get(irq);
    if (r) routes.push(r);
    else if (targeted.has(irq)) routes.push(null);
    else routes.push({ irq, gsi: irq, activeLow: false, level: false });
  }
  return { routes, warnings };
}
