import type * as native from '@proj/native';
import { argumentError } from '@proj/gstreamer/internal';

import { type RBBox, toBBox } from './geometry.js';

export interface Point {
  x: number;
  y: number;
}

/** One value of an attribute, tagged by `kind`, with an optional
 * confidence in [0, 1]. Integers must be safe integers. */
export type AttributeValue = (
  | { kind: 'none' }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'integer'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'json'; value: string }
  | { kind: 'bytes'; value: Uint8Array; dims?: number[] }
  | { kind: 'booleans'; value: boolean[] }
  | { kind: 'integers'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'bbox'; value: RBBox }
  | { kind: 'bboxes'; value: RBBox[] }
  | { kind: 'point'; value: Point }
  | { kind: 'points'; value: Point[] }
) & { confidence?: number | undefined };

/** A named result on a frame or an object; `(namespace, name)` is its key. */
export interface Attribute {
  namespace: string;
  name: string;
  values: AttributeValue[];
  hint?: string | undefined;
  /** Kept by `deleteTemporaryAttributes()`. Default false. */
  persistent?: boolean;
  /** Not for display or export. Default false. */
  hidden?: boolean;
}

// Where each kind's value lives in the native object.
const fields = {
  none: undefined,
  boolean: 'boolean',
  integer: 'integer',
  float: 'float',
  string: 'string',
  json: 'string',
  bytes: 'bytes',
  booleans: 'booleans',
  integers: 'integers',
  floats: 'floats',
  strings: 'strings',
  bbox: 'bbox',
  bboxes: 'bboxes',
  point: 'point',
  points: 'points',
} as const satisfies Record<AttributeValue['kind'], keyof native.AttributeValue | undefined>;

function checkIntegers(values: unknown[]): void {
  if (!values.every((v) => Number.isSafeInteger(v))) {
    throw argumentError('range', 'integer attribute values must be safe integers');
  }
}

export function toNativeValue(v: AttributeValue): native.AttributeValue {
  const field = (fields as Record<string, string | undefined>)[v.kind];
  if (!(v.kind in fields)) throw argumentError('type', `unknown attribute value kind ${String(v.kind)}`);
  const out: native.AttributeValue = { kind: v.kind, confidence: v.confidence };
  if (v.kind === 'integer') checkIntegers([v.value]);
  if (v.kind === 'integers') checkIntegers(v.value);
  if (v.kind === 'bytes') {
    out.bytes = Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength);
    out.dims = v.dims;
  } else if (field !== undefined && 'value' in v) {
    (out as unknown as Record<string, unknown>)[field] = v.value;
  }
  return out;
}

export function fromNativeValue(v: native.AttributeValue): AttributeValue {
  const kind = v.kind as AttributeValue['kind'];
  const confidence = v.confidence ?? undefined;
  const base = confidence === undefined ? {} : { confidence };
  switch (kind) {
    case 'none':
      return { kind, ...base };
    case 'bytes':
      return { kind, value: new Uint8Array(v.bytes ?? []), dims: v.dims ?? [], ...base };
    case 'bbox':
      return { kind, value: toBBox(v.bbox ?? { xc: 0, yc: 0, width: 0, height: 0 }), ...base };
    case 'bboxes':
      return { kind, value: (v.bboxes ?? []).map(toBBox), ...base };
    default: {
      const value = (v as unknown as Record<string, unknown>)[fields[kind]];
      return { kind, value, ...base } as AttributeValue;
    }
  }
}

export function toNativeAttribute(a: Attribute): native.Attribute {
  if (a === null || typeof a !== 'object' || !Array.isArray(a.values)) {
    throw argumentError('type', 'an attribute must be an object with namespace, name and values[]');
  }
  return {
    namespace: a.namespace,
    name: a.name,
    values: a.values.map(toNativeValue),
    hint: a.hint,
    persistent: a.persistent,
    hidden: a.hidden,
  };
}

export function fromNativeAttribute(a: native.Attribute): Attribute {
  return {
    namespace: a.namespace,
    name: a.name,
    values: a.values.map(fromNativeValue),
    ...(a.hint === undefined || a.hint === null ? {} : { hint: a.hint }),
    persistent: a.persistent ?? false,
    hidden: a.hidden ?? false,
  };
}
