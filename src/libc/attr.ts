/**
 * What every pthread_*attr_t does alike: EINVAL on an attribute object that is not initialised
 * (or was destroyed), EINVAL for a value outside the allowed set, and getters that return
 * [0, value] or [EINVAL, 0]. Each attribute type's public functions are one call into these.
 */
import { EINVAL } from '../abi/errno.ts';
import { PTHREAD_PROCESS_PRIVATE, PTHREAD_PROCESS_SHARED } from './layout.ts';

/** The part every pthread_*attr_t shares: set by its init, cleared by its destroy. */
export interface PthreadAttr {
  initialized: boolean;
}

/** The names of `A`'s numeric fields. */
type NumericField<A> = { [K in keyof A]: A[K] extends number ? K : never }[keyof A];

/** The values a pshared attribute may take. */
export const PSHARED_VALUES: readonly number[] = [PTHREAD_PROCESS_PRIVATE, PTHREAD_PROCESS_SHARED];

export function attrDestroy(attr: PthreadAttr): number {
  if (!attr.initialized) return EINVAL;
  attr.initialized = false;
  return 0;
}

/** Sets `attr[field]` to `value` when it is one of `allowed`; EINVAL otherwise. */
export function attrSet<A extends PthreadAttr>(
  attr: A,
  field: NumericField<A>,
  value: number,
  allowed: readonly number[],
): number {
  if (!attr.initialized || !allowed.includes(value)) return EINVAL;
  (attr as Record<NumericField<A>, number>)[field] = value;
  return 0;
}

export function attrGet<A extends PthreadAttr>(attr: A, field: NumericField<A>): [number, number] {
  return attr.initialized ? [0, (attr as Record<NumericField<A>, number>)[field]] : [EINVAL, 0];
}
