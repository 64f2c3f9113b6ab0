function enumOf<const K extends string>(names: readonly K[]): Readonly<{ [P in K]: P }> {
  return Object.freeze(Object.fromEntries(names.map((n) => [n, n]))) as { [P in K]: P };
}

/** The result of a GStreamer data flow. */
export const FlowResult = enumOf([
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
export type FlowResult = keyof typeof FlowResult;

/** Why a pipeline callback was invoked. */
export const InvocationReason = enumOf([
  'Buffer',
  'SinkEvent',
  'SourceEvent',
  'StateChange',
  'IngressMessageTransformer',
]);
export type InvocationReason = keyof typeof InvocationReason;
