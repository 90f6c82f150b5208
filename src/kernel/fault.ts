/** Kernel faults raised on purpose by fault injection (SCHED-9): their unwinding paths are under test. */
export class InjectedKernelFault extends Error {
  override name = 'InjectedKernelFault';
}
