import { argumentError } from './errors.js';

/** Nanoseconds as users pass them: a safe non-negative integer or a bigint. */
export type Nanoseconds = number | bigint;

const U64_MAX = (1n << 64n) - 1n;

/** Validates a nanosecond timestamp and returns it as a bigint. */
export function toNanoseconds(name: string, value: Nanoseconds): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > U64_MAX) {
      throw argumentError('range', `${name} must be between 0 and 2^64-1 ns, got ${value}`);
    }
    return value;
  }
  if (typeof value !== 'number') {
    throw argumentError('type', `${name} must be a number or a bigint, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw argumentError('range', `${name} must be a non-negative safe integer (or a bigint), got ${value}`);
  }
  return BigInt(value);
}

/** Like `toNanoseconds`, for optional arguments (`undefined`/`null` = absent). */
export function toOptionalNanoseconds(name: string, value: Nanoseconds | null | undefined): bigint | undefined {
  return value === undefined || value === null ? undefined : toNanoseconds(name, value);
}
