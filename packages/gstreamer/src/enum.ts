import { argumentError, ErrorCode, native as call, ProjError } from './errors.js';

/** A runtime enum: its keys map to canonical names, and `fromName` parses
 * a name into one. Enumerating it yields only the values.
 *
 * The one casing rule for every enum of the toolkit: keys are the seed's
 * names (`UPPER_SNAKE`, or the seed's own spelling where it has one, as
 * `FlowResult.NotLinked`); values are lower `snake_case` (`'cuda_device'`,
 * `'byte_stream'`, `'not_linked'`), except names that are a standard's own
 * spelling: pixel formats as GStreamer spells them (`'RGBA'`, `'NV12'`).
 * `fromName` takes a value or a key in any case, with `-` or `_`. */
export type EnumObject<T extends Record<string, string>> = { readonly [K in keyof T]: T[K] } & {
  /** Parses a name in any case; throws a `ProjError` for unknown names. */
  fromName(name: string): T[keyof T];
  /** Every value, in declaration order. */
  values(): readonly T[keyof T][];
};

/** The value type of an enum object: `EnumValue<typeof MemType>`. */
export type EnumValue<E> = E extends { values(): readonly (infer V)[] } ? V : never;

/** The spelling `fromName` compares: lower case, `_` for `-`. */
const folded = (name: string): string => name.toLowerCase().replaceAll('-', '_');

/** Builds a frozen runtime enum. `parse` (a native name table) returns the
 * canonical name or throws a coded error; without it names are looked up
 * here among the values and keys. `extra` adds methods built on `fromName`. */
export function makeEnum<T extends Record<string, string>, X extends object = object>(
  what: string,
  values: T,
  parse?: (name: string) => string,
  extra?: (fromName: (name: string) => T[keyof T]) => X,
): EnumObject<T> & X {
  const known = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) known.set(folded(key), value).set(folded(value), value);
  const local = (name: string): string => {
    const value = known.get(folded(name));
    if (value === undefined) {
      const expected = Object.values(values).join(', ');
      throw new ProjError(ErrorCode.UNKNOWN_NAME, `unknown ${what} name ${JSON.stringify(name)}; expected one of ${expected}`);
    }
    return value;
  };
  const fromName = (name: string): T[keyof T] => {
    if (typeof name !== 'string') {
      throw argumentError('type', `a ${what} name must be a string, got ${typeof name}`);
    }
    return (parse ? call(() => parse(name.replaceAll('-', '_'))) : local(name)) as T[keyof T];
  };
  const methods: PropertyDescriptorMap = {
    fromName: { value: fromName },
    values: { value: () => Object.values(values) },
  };
  for (const [key, value] of Object.entries(extra?.(fromName) ?? {})) methods[key] = { value };
  return Object.freeze(Object.defineProperties({ ...values }, methods)) as EnumObject<T> & X;
}

/** `isNoPayload(value)` for key `NO_PAYLOAD`: the seed's `is_*` checks, one
 * per key, as predicates on the enum object. */
export type Predicates<T extends Record<string, string>> = {
  readonly [K in keyof T as `is${PascalCase<K & string>}`]: (value: unknown) => value is T[K];
};
type PascalCase<S extends string> = S extends `${infer H}_${infer R}`
  ? `${Capitalize<Lowercase<H>>}${PascalCase<R>}`
  : Capitalize<Lowercase<S>>;

/** The predicates of `Predicates<T>`, to pass as `makeEnum`'s `extra`. */
export function predicates<T extends Record<string, string>>(values: T): () => Predicates<T> {
  const pascal = (key: string): string =>
    key
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
      .join('');
  return () =>
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => [`is${pascal(key)}`, (v: unknown) => v === value]),
    ) as Predicates<T>;
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
