// Helpers the other @proj packages share with this one. Not public API:
// `@proj/gstreamer/internal` may change without notice.
export { argumentError, ErrorCode, native, ProjError, toProjError } from './errors.js';
export { type Nanoseconds, toNanoseconds, toOptionalNanoseconds } from './timestamp.js';
export {
  type EnumObject,
  type EnumValue,
  integerArgument,
  makeEnum,
  optionalOf,
  optionsObject,
  type Predicates,
  predicates,
} from './enum.js';
export { openIterator, OutputIterator, type OutputsOptions } from './output-iterator.js';
