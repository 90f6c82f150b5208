/**
 * The programs a unit's `cmd` (or a driver entry) can name: what `/usr/bin` and
 * `/usr/lib/drivers` hold on Redox. spawn in smpsim takes a registered image, not a path.
 */
import type { ProgramImage } from '../abi/guest.ts';
import { DRIVER_MANAGER } from './driver-manager-program.ts';
import { HOTPLUG } from './driver-program.ts';
import { LOGIN, SERVICE } from './service-program.ts';
import { SESSION } from './session-program.ts';
import { DRVMGR_STATUS } from './driver-status.ts';

const IMAGES: ReadonlyMap<string, ProgramImage> = new Map(
  [SERVICE, LOGIN, DRIVER_MANAGER, HOTPLUG, SESSION, DRVMGR_STATUS].map((p) => [p.name, p]),
);

/** The image for `cmd`, or null when there is no such program. */
export function serviceImage(cmd: string): ProgramImage | null {
  return IMAGES.get(cmd) ?? null;
}

export function serviceProgramNames(): string[] {
  return [...IMAGES.keys()].sort();
}
