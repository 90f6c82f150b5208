/**
 * struct timespec as the Linux x86-64 ABI lays it out (include/uapi/linux/time_types.h,
 * __kernel_timespec): a signed 64-bit tv_sec at offset 0 and a 64-bit tv_nsec at offset 8,
 * 16 bytes in all. Every timeout, deadline and clock reading crosses the system-call boundary
 * as one of these in guest memory, never as a number in a register: a realtime clock at a real
 * date (1.8 x 10^18 ns in 2026) does not fit a JS number exactly, seconds + nanoseconds do.
 */
export const TIMESPEC_BYTES = 16;
export const TV_SEC = 0;
export const TV_NSEC = 8;
export const NSEC_PER_SEC = 1_000_000_000;
/** clock_nanosleep's flag: the request is an absolute time on the clock (uapi/linux/time.h). */
export const TIMER_ABSTIME = 1;
