// The draw spec (`savant_rs.draw_spec` translated): what is drawn for the
// objects of a (namespace, label). Values are immutable: getters and copy().
import * as native from '@proj/native';
import { argumentError, ErrorCode, makeEnum, native as call, ProjError, type EnumValue } from '@proj/gstreamer/internal';
import type { VideoFrame, VideoObject } from '@proj/deepstream';

export type Rgba = readonly [number, number, number, number];

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw argumentError('type', `${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw argumentError('range', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function options<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw argumentError('type', `${name} takes an options object`);
  return value;
}

function instance<T>(name: string, value: unknown, type: abstract new (...args: never[]) => T): T {
  if (!(value instanceof type)) throw argumentError('type', `${name} must be a ${type.name}`);
  return value;
}

/** An RGBA colour, 0–255 per channel (not premultiplied). Alpha 0 means "do not draw". */
export class ColorDraw {
  readonly #rgba: Rgba;

  constructor(red = 0, green = 255, blue = 0, alpha = 255) {
    this.#rgba = Object.freeze([
      int('red', red, 0, 255),
      int('green', green, 0, 255),
      int('blue', blue, 0, 255),
      int('alpha', alpha, 0, 255),
    ]) as Rgba;
  }

  /** All channels 0: nothing is drawn with it. */
  static transparent(): ColorDraw {
    return new ColorDraw(0, 0, 0, 0);
  }

  get red(): number {
    return this.#rgba[0];
  }
  get green(): number {
    return this.#rgba[1];
  }
  get blue(): number {
    return this.#rgba[2];
  }
  get alpha(): number {
    return this.#rgba[3];
  }
  get rgba(): Rgba {
    return this.#rgba;
  }
  get bgra(): Rgba {
    const [r, g, b, a] = this.#rgba;
    return [b, g, r, a];
  }
  copy(): ColorDraw {
    return new ColorDraw(...this.#rgba);
  }
  toString(): string {
    return `ColorDraw(${this.#rgba.join(', ')})`;
  }
}

/** Space around a box (or inside a label's background), in whole pixels ≥ 0. */
export class PaddingDraw {
  readonly #ltrb: readonly [number, number, number, number];

  constructor(left = 0, top = 0, right = 0, bottom = 0) {
    const side = (name: string, v: number) => int(name, v, 0, 100_000);
    this.#ltrb = Object.freeze([side('left', left), side('top', top), side('right', right), side('bottom', bottom)]) as [
      number,
      number,
      number,
      number,
    ];
  }

  static defaultPadding(): PaddingDraw {
    return new PaddingDraw();
  }

  get left(): number {
    return this.#ltrb[0];
  }
  get top(): number {
    return this.#ltrb[1];
  }
  get right(): number {
    return this.#ltrb[2];
  }
  get bottom(): number {
    return this.#ltrb[3];
  }
  /** `[left, top, right, bottom]` */
  get padding(): readonly [number, number, number, number] {
    return this.#ltrb;
  }
  copy(): PaddingDraw {
    return new PaddingDraw(...this.#ltrb);
  }
}

export interface BoundingBoxDrawOptions {
  /** Default transparent (no border). */
  borderColor?: ColorDraw;
  /** Default transparent (no fill). */
  backgroundColor?: ColorDraw;
  /** Stroke width 0–500, centred on the edge as Skia strokes (default 2). */
  thickness?: number;
  /** Grows the box before drawing (default none). */
  padding?: PaddingDraw;
}

/** A box's border and background. */
export class BoundingBoxDraw {
  readonly borderColor: ColorDraw;
  readonly backgroundColor: ColorDraw;
  readonly thickness: number;
  readonly padding: PaddingDraw;

  constructor(init?: BoundingBoxDrawOptions) {
    const o = options('BoundingBoxDraw', init);
    this.borderColor = o.borderColor === undefined ? ColorDraw.transparent() : instance('borderColor', o.borderColor, ColorDraw);
    this.backgroundColor =
      o.backgroundColor === undefined ? ColorDraw.transparent() : instance('backgroundColor', o.backgroundColor, ColorDraw);
    this.thickness = int('thickness', o.thickness ?? 2, 0, 500);
    this.padding = o.padding === undefined ? PaddingDraw.defaultPadding() : instance('padding', o.padding, PaddingDraw);
    Object.freeze(this);
  }
  copy(): BoundingBoxDraw {
    return new BoundingBoxDraw(this);
  }
}

/** A dot at the box's centre. */
export class DotDraw {
  readonly color: ColorDraw;
  readonly radius: number;

  constructor(color: ColorDraw, init?: { radius?: number }) {
    this.color = instance('color', color, ColorDraw);
    this.radius = int('radius', options('DotDraw', init).radius ?? 2, 0, 100);
    Object.freeze(this);
  }
  copy(): DotDraw {
    return new DotDraw(this.color, this);
  }
}

/** Where a label sits against its box (the wrapping box of a rotated one). */
export const LabelPositionKind = makeEnum('labelPositionKind', {
  TopLeftInside: 'top_left_inside',
  TopLeftOutside: 'top_left_outside',
  Center: 'center',
} as const);
export type LabelPositionKind = EnumValue<typeof LabelPositionKind>;

export interface LabelPositionOptions {
  /** Default `TopLeftOutside`. */
  position?: LabelPositionKind | string;
  /** Pixels added to x (default 0). */
  marginX?: number;
  /** Pixels added to y (default −10). */
  marginY?: number;
}

export class LabelPosition {
  readonly position: LabelPositionKind;
  readonly marginX: number;
  readonly marginY: number;

  constructor(init?: LabelPositionOptions) {
    const o = options('LabelPosition', init);
    this.position = LabelPositionKind.fromName(o.position ?? LabelPositionKind.TopLeftOutside);
    this.marginX = int('marginX', o.marginX ?? 0, -100_000, 100_000);
    this.marginY = int('marginY', o.marginY ?? -10, -100_000, 100_000);
    Object.freeze(this);
  }
  /** `TopLeftOutside` at (0, −10). */
  static defaultPosition(): LabelPosition {
    return new LabelPosition();
  }
  copy(): LabelPosition {
    return new LabelPosition(this);
  }
}

export interface LabelDrawOptions {
  backgroundColor?: ColorDraw;
  borderColor?: ColorDraw;
  /** Font size is 12 × fontScale pixels; (0, 100] (default 1). */
  fontScale?: number;
  /** The border's stroke width, 0–500 (default 1). */
  thickness?: number;
  position?: LabelPosition;
  padding?: PaddingDraw;
  /**
   * One template per line (default `['{label}']`): `{label}` (the draw
   * label, else the label), `{model}` (namespace), `{confidence}` (with an
   * optional precision, `{confidence:.2f}`), `{track_id}`, `{det_xc}`,
   * `{det_yc}`, `{det_width}`, `{det_height}`, `{det_angle}` and the same
   * with `track_`; `{{`/`}}` for braces. A missing value prints as nothing;
   * an unknown placeholder throws `ERR_PROJ_LABEL_TEMPLATE` here.
   */
  format?: readonly string[];
}

/** A label: lines from templates on a padded background with a border. */
export class LabelDraw {
  readonly fontColor: ColorDraw;
  readonly backgroundColor: ColorDraw;
  readonly borderColor: ColorDraw;
  readonly fontScale: number;
  readonly thickness: number;
  readonly position: LabelPosition;
  readonly padding: PaddingDraw;
  readonly format: readonly string[];

  constructor(fontColor: ColorDraw, init?: LabelDrawOptions) {
    const o = options('LabelDraw', init);
    this.fontColor = instance('fontColor', fontColor, ColorDraw);
    this.backgroundColor =
      o.backgroundColor === undefined ? ColorDraw.transparent() : instance('backgroundColor', o.backgroundColor, ColorDraw);
    this.borderColor = o.borderColor === undefined ? ColorDraw.transparent() : instance('borderColor', o.borderColor, ColorDraw);
    const scale = o.fontScale ?? 1;
    if (typeof scale !== 'number' || !(scale > 0 && scale <= 100)) {
      throw argumentError(typeof scale === 'number' ? 'range' : 'type', `fontScale must be in (0, 100], got ${String(scale)}`);
    }
    this.fontScale = scale;
    this.thickness = int('thickness', o.thickness ?? 1, 0, 500);
    this.position = o.position === undefined ? LabelPosition.defaultPosition() : instance('position', o.position, LabelPosition);
    this.padding = o.padding === undefined ? PaddingDraw.defaultPadding() : instance('padding', o.padding, PaddingDraw);
    const format = o.format ?? ['{label}'];
    if (!Array.isArray(format) || !format.every((l) => typeof l === 'string')) {
      throw argumentError('type', 'format must be an array of strings');
    }
    if (format.length > 64) throw argumentError('range', `format has ${format.length} lines, at most 64`);
    call(() => native.checkLabelFormat([...format]));
    this.format = Object.freeze([...format]);
    Object.freeze(this);
  }
  copy(): LabelDraw {
    return new LabelDraw(this.fontColor, this);
  }

  /** The lines this label draws for `object`: each template of `format`
   * expanded (a missing value prints as nothing). */
  lines(object: LabelSubject): string[] {
    if (object === null || typeof object !== 'object') throw argumentError('type', 'lines() takes a video object');
    const o: native.VideoObject = {
      id: 0,
      namespace: object.namespace,
      label: object.label,
      drawLabel: object.drawLabel,
      detectionBox: object.detectionBox,
      confidence: object.confidence,
      trackId: object.trackId,
      trackBox: object.trackBox,
    };
    return call(() => native.expandLabelFormat([...this.format], o));
  }
}

/** What a label's templates read from an object (a `VideoObject` has it all). */
export type LabelSubject = Pick<VideoObject, 'namespace' | 'label' | 'detectionBox'> &
  Partial<Pick<VideoObject, 'drawLabel' | 'confidence' | 'trackId' | 'trackBox'>>;

/** Which of an object's boxes is drawn around. */
export const BBoxSource = makeEnum('bboxSource', {
  DetectionBox: 'detection_box',
  /** The track box, or the detection box where the object has none. */
  TrackingBox: 'tracking_box',
} as const);
export type BBoxSource = EnumValue<typeof BBoxSource>;

export interface ObjectDrawOptions {
  boundingBox?: BoundingBoxDraw | null;
  centralDot?: DotDraw | null;
  label?: LabelDraw | null;
  /** Blurs the box's content first (sigma = clamp(0.1 × min(w, h), 2, 40)). */
  blur?: boolean;
  bboxSource?: BBoxSource | string;
}

/** Everything drawn for one object, in order: blur, box, dot, label. */
export class ObjectDraw {
  readonly boundingBox: BoundingBoxDraw | null;
  readonly centralDot: DotDraw | null;
  readonly label: LabelDraw | null;
  readonly blur: boolean;
  readonly bboxSource: BBoxSource;

  constructor(init?: ObjectDrawOptions) {
    const o = options('ObjectDraw', init);
    this.boundingBox = o.boundingBox == null ? null : instance('boundingBox', o.boundingBox, BoundingBoxDraw);
    this.centralDot = o.centralDot == null ? null : instance('centralDot', o.centralDot, DotDraw);
    this.label = o.label == null ? null : instance('label', o.label, LabelDraw);
    if (o.blur !== undefined && typeof o.blur !== 'boolean') throw argumentError('type', 'blur must be a boolean');
    this.blur = o.blur ?? false;
    this.bboxSource = BBoxSource.fromName(o.bboxSource ?? BBoxSource.DetectionBox);
    Object.freeze(this);
  }
  copy(): ObjectDraw {
    return new ObjectDraw(this);
  }

  /** @internal */
  toNative(): native.ObjectDrawInit {
    const b = this.boundingBox;
    const d = this.centralDot;
    const l = this.label;
    return {
      boundingBox: b === null ? undefined : {
        borderColor: [...b.borderColor.rgba],
        backgroundColor: [...b.backgroundColor.rgba],
        thickness: b.thickness,
        padding: [...b.padding.padding],
      },
      centralDot: d === null ? undefined : { color: [...d.color.rgba], radius: d.radius },
      label: l === null ? undefined : {
        fontColor: [...l.fontColor.rgba],
        backgroundColor: [...l.backgroundColor.rgba],
        borderColor: [...l.borderColor.rgba],
        fontScale: l.fontScale,
        thickness: l.thickness,
        position: l.position.position,
        marginX: l.position.marginX,
        marginY: l.position.marginY,
        padding: [...l.padding.padding],
        format: [...l.format],
      },
      blur: this.blur,
      bboxSource: this.bboxSource,
    };
  }
}

/** Sets an object's draw label (`own`) or its parent's (`parent`). */
export class SetDrawLabelKind {
  readonly #parent: boolean;
  readonly #label: string;

  private constructor(parent: boolean, label: string) {
    if (typeof label !== 'string') throw argumentError('type', 'label must be a string');
    this.#parent = parent;
    this.#label = label;
  }
  static own(label: string): SetDrawLabelKind {
    return new SetDrawLabelKind(false, label);
  }
  static parent(label: string): SetDrawLabelKind {
    return new SetDrawLabelKind(true, label);
  }
  isOwnLabel(): boolean {
    return !this.#parent;
  }
  isParentLabel(): boolean {
    return this.#parent;
  }
  getLabel(): string {
    return this.#label;
  }

  /** Applies it to object `objectId` of `frame`: sets that object's draw
   * label (`own`) or its parent's (`parent`); returns the id changed.
   * `ERR_PROJ_OBJECT_NOT_FOUND` for an unknown object, or a parent asked
   * of an object without one. */
  applyTo(frame: VideoFrame, objectId: number): number {
    const object = frame.getObject(objectId);
    let target = object;
    if (this.#parent) {
      if (object.parentId === undefined) {
        throw new ProjError(ErrorCode.OBJECT_NOT_FOUND, `object ${objectId} has no parent to label`);
      }
      target = frame.getObject(object.parentId);
    }
    frame.updateObject({ ...target, drawLabel: this.#label });
    return target.id;
  }
}

/** Draw specs keyed by (namespace, label). Drawing takes a snapshot, so
 * entries may be inserted while frames are being drawn. */
export class ObjectDrawSpec {
  /** @internal */
  readonly native: native.ObjectDrawSpec = call(() => new native.ObjectDrawSpec());
  readonly #entries = new Map<string, Map<string, ObjectDraw>>();

  /** Inserts (or replaces) the entry for (namespace, label). */
  insert(namespace: string, label: string, draw: ObjectDraw): void {
    if (typeof namespace !== 'string' || typeof label !== 'string') throw argumentError('type', 'namespace and label must be strings');
    const d = instance('draw', draw, ObjectDraw);
    call(() => this.native.insert(namespace, label, d.toNative()));
    let labels = this.#entries.get(namespace);
    if (labels === undefined) this.#entries.set(namespace, (labels = new Map()));
    labels.set(label, d);
  }
  /** The entry for exactly (namespace, label), or null. */
  lookup(namespace: string, label: string): ObjectDraw | null {
    return this.#entries.get(namespace)?.get(label) ?? null;
  }
  /** Number of (namespace, label) entries. */
  len(): number {
    let n = 0;
    for (const labels of this.#entries.values()) n += labels.size;
    return n;
  }
  isEmpty(): boolean {
    return this.len() === 0;
  }
}
