/**
 * The NVMe register map and entry layouts live in abi/nvme-regs.ts: the device (nvme.ts) and the
 * userspace driver (services/drivers/nvmed.ts) share them, as a real driver and device share the
 * specification. This re-export keeps the hardware's imports where they were.
 */
export * from '../../abi/nvme-regs.ts';
