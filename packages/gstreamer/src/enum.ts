import { argumentError, native as call } from './errors.js';

/** A runtime enum: its keys map to canonical names, and `fromName` parses
 * a name (through the native addon) into one. Enumerating it yields only
 * the values. */
export type EnumObject<T extends Record<string, string>> = { readonly [K in keyof T]: T[K] } & {
  /** Parses a name in any case; throws a `ProjError` for unknown names. */
  fromName(name: string): T[keyof T];
  /** Every value, in declaration order. */
  values(): readonly T[keyof T][];
};

/** Builds a frozen runtime enum. `parse` returns the canonical name or
 * throws a coded native error; `extra` adds more methods built on `fromName`. */
export function makeEnum<T extends Record<string, string>, X extends object = object>(
  what: string,
  values: T,
  parse: (name: string) => string,
  extra?: (fromName: (name: string) => T[keyof T]) => X,
): EnumObject<T> & X {
  const fromName = (name: string): T[keyof T] => {
    if (typeof name !== 'string') {
      throw argumentError('type', `a ${what} name must be a string, got ${typeof name}`);
    }
    return call(() => parse(name)) as T[keyof T];
  };
  const methods: PropertyDescriptorMap = {
    fromName: { value: fromName },
    values: { value: () => Object.values(values) },
  };
  for (const [key, value] of Object.entries(extra?.(fromName) ?? {})) methods[key] = { value };
  return Object.freeze(Object.defineProperties({ ...values }, methods)) as EnumObject<T> & X;
}

/** An integer argument between `min` and `max`: a TypeError for a
 * non-number, a RangeError for anything else out of place. */
export function integerArgument(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw argumentError('type', `${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw argumentError('range', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** An optional argument of one JS type (`undefined` and `null` pass as
 * `undefined`): a coded TypeError otherwise, never napi's own error. */
export function optionalOf<T extends 'string' | 'boolean' | 'number'>(
  name: string,
  value: unknown,
  type: T,
): (T extends 'string' ? string : T extends 'boolean' ? boolean : number) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw argumentError('type', `${name} must be a ${type}, got ${typeof value}`);
  return value as never;
}

/** An options argument: an object, or absent. */
export function optionsObject<T extends object>(name: string, value: T | null | undefined): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw argumentError('type', `${name} must be an object`);
  return value;
}
