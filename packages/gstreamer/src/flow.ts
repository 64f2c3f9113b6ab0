import { makeEnum } from './enum.js';

type Snake<S extends string> = S extends `${infer H}${infer R}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<R>}`
  : '';
type Lead<S extends string> = S extends `_${infer R}` ? R : S;

/** The seed's PascalCase names as keys, their snake_case forms as values
 * (the toolkit's one casing rule). */
function enumOf<const K extends string>(what: string, names: readonly K[]) {
  const snake = (n: string): string => n.replace(/([A-Z])/g, '_$1').replace(/^_/, '').toLowerCase();
  return makeEnum(what, Object.fromEntries(names.map((n) => [n, snake(n)])) as { [P in K]: Lead<Snake<P>> });
}

/** The result of a GStreamer data flow. */
export const FlowResult = enumOf('flowResult', [
  'CustomSuccess2',
  'CustomSuccess1',
  'CustomSuccess',
  'Ok',
  'NotLinked',
  'Flushing',
  'Eos',
  'NotNegotiated',
  'Error',
  'NotSupported',
  'CustomError',
  'CustomError1',
  'CustomError2',
]);
export type FlowResult = ReturnType<typeof FlowResult.values>[number];

/** Why a pipeline callback was invoked. */
export const InvocationReason = enumOf('invocationReason', [
  'Buffer',
  'SinkEvent',
  'SourceEvent',
  'StateChange',
  'IngressMessageTransformer',
]);
export type InvocationReason = ReturnType<typeof InvocationReason.values>[number];
