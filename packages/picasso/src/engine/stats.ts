// Per-source counters and timings.

/** p50 / p99 over the last 1024 samples, in ms (0 without samples). */
export interface Percentiles {
  p50: number;
  p99: number;
  count: number;
}

const WINDOW = 1024;

/** The last `WINDOW` durations of one stage. */
export class Samples {
  readonly #values = new Float64Array(WINDOW);
  #count = 0;

  add(ms: number): void {
    this.#values[this.#count % WINDOW] = ms;
    this.#count++;
  }
  percentiles(): Percentiles {
    const n = Math.min(this.#count, WINDOW);
    if (n === 0) return { p50: 0, p99: 0, count: 0 };
    const sorted = this.#values.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p99: at(0.99), count: this.#count };
  }
}

/** Where each frame sent to a source ended. Every frame is counted once:
 * `framesIn = encoded + bypassed + droppedBySpec + skippedByGate +
 * droppedOldest + droppedNewest + errors + queued + inFlight`. */
export interface SourceCounters {
  framesIn: number;
  encoded: number;
  bypassed: number;
  droppedBySpec: number;
  skippedByGate: number;
  droppedOldest: number;
  droppedNewest: number;
  errors: number;
}

export interface SourceStats extends SourceCounters {
  sourceId: string;
  /** Frames waiting in the source's queue. */
  queued: number;
  /** Frames taken from the queue and not yet out (being drawn, inside the
   * encoder). */
  inFlight: number;
  /** `sendFrame` calls waiting for room in the queue. */
  waitingSenders: number;
  /** Frames out (encoded + bypassed) per second over the last stats period. */
  fps: number;
  transformMs: Percentiles;
  drawMs: Percentiles;
  encodeMs: Percentiles;
  /** From `sendFrame` to `onEncodedFrame` / `onBypassFrame`. */
  latencyMs: Percentiles;
  /** The element encoding now (`x264enc`, `nvh264enc`…), or null. */
  encoderBackend: string | null;
}

export interface EngineStats {
  name: string;
  sources: SourceStats[];
}

export function zeroCounters(): SourceCounters {
  return { framesIn: 0, encoded: 0, bypassed: 0, droppedBySpec: 0, skippedByGate: 0, droppedOldest: 0, droppedNewest: 0, errors: 0 };
}
