/**
 * The two inits' settings (SVC-1..SVC-5, SVC-7). `redox` is upstream `base/init` as
 * models-2.md §10.1 describes it: units started one at a time, synchronously (spawn blocks until
 * the readiness byte, EOF or exit), no start timeout (U2), no restart (U4), no cycle detection
 * (U3: the FIFO queue rotates forever). `improved` is the plans' init, shaped after systemd
 * (models-2.md §10.3): parallel start of every unit whose dependencies are settled, at most 50
 * starting at once (U11), start timeouts (SVC-3), cycle reports (SVC-4), restarts (SVC-5), health checks
 * every 5 s (SVC-7).
 */
import type { LoadMode } from './unit-graph.ts';
import { DEFAULT_RESTART, type RestartConfig } from './restart.ts';

export type InitVariant = 'redox' | 'improved';
export const INIT_VARIANTS: readonly InitVariant[] = ['redox', 'improved'];

export interface InitConfig {
  variant: InitVariant;
  /** How the closure is loaded (redox: P15-8's seen + silent skip; `redox-pre-p15-8` shows the older fault). */
  loadMode: LoadMode;
  /**
   * Units that may be starting (spawned, not yet ready) at once: redox 1, since its spawn is
   * synchronous; improved 50 (U11: the seed's 50 per step).
   */
  parallelStarts: number;
  /** Start timeout for units that set none (systemd DefaultTimeoutStartSec = 90 s); 0 = none (redox, U2). */
  defaultTimeoutStartNs: number;
  /** Health-check period for units with `health_check` (SVC-7: 5 s). */
  healthIntervalNs: number;
  /** How long a health check may take before it counts as failed. */
  healthTimeoutNs: number;
  restart: RestartConfig;
  /**
   * Redox before `eeee52f2` ("Fix boot stuck caused by driver exiting"): init kept its copy of
   * the INIT_NOTIFY write end, so a child exiting without notifying never gave EOF and boot hung.
   */
  keepNotifyWriteEnd: boolean;
}

export function initConfig(variant: InitVariant): InitConfig {
  const redox = variant === 'redox';
  return {
    variant,
    loadMode: redox ? 'redox' : 'improved',
    parallelStarts: redox ? 1 : 50,
    defaultTimeoutStartNs: redox ? 0 : 90_000_000_000,
    healthIntervalNs: 5_000_000_000,
    healthTimeoutNs: 1_000_000_000,
    restart: DEFAULT_RESTART,
    keepNotifyWriteEnd: false,
  };
}
