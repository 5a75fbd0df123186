/**
 * One series' baseline: an exponentially weighted moving average with an exponentially
 * weighted variance, and the z-score of each new value against them. It says when a
 * value is anomalous, with hysteresis so an alert neither flickers nor ends early:
 *
 * - warm-up: no alert before `warmup` samples;
 * - floor: no alert while the value is below `floor` (a quiet series going from 0 to 2
 *   is not news);
 * - raise when z ≥ `raiseZ`; end once the value stayed under z `endZ` (or under the
 *   floor) for `endAfter` samples in a row;
 * - while an alert is on, anomalous values move the baseline only at `activeAlpha`, so
 *   a sustained spike stays an alert instead of becoming the new normal at once.
 *
 * z is measured against the baseline before the value is taken in, with the deviation
 * at least `minStd` and `minStdFraction` × the mean: a series that has been perfectly
 * flat would otherwise make any wobble infinitely anomalous.
 * (EW variance: Finch, "Incremental calculation of weighted mean and variance", 2009.)
 */
export interface BaselineOptions {
  /** Weight of a new value in the mean and variance (default 0.1: about 10 samples of memory). */
  alpha?: number
  /** Weight while an alert is on, for anomalous values (default alpha / 20). */
  activeAlpha?: number
  /** Samples before any alert (default 5). */
  warmup?: number
  /** No alert below this value (default 0). */
  floor?: number
  /** Raise at this z (default 4). */
  raiseZ?: number
  /** Count towards the end under this z (default 2). */
  endZ?: number
  /** End after this many calm samples in a row (default 3). */
  endAfter?: number
  /** The least deviation z divides by, in the series' unit (default 1). */
  minStd?: number
  /** The least deviation as a fraction of the mean (default 0.1). */
  minStdFraction?: number
}

/** What one value did to the series. */
export interface BaselineStep {
  /** The z-score of the value against the baseline before it. */
  z: number
  /** The baseline (mean) before the value. */
  baseline: number
  /** The value started an alert. */
  raised: boolean
  /** The value ended the alert. */
  ended: boolean
  /** An alert is on after this value. */
  active: boolean
}

export class Baseline {
  private mean = 0
  private variance = 0
  private samples = 0
  private calm = 0
  private on = false
  private readonly o: Required<BaselineOptions>

  constructor (options: BaselineOptions = {}) {
    const alpha = options.alpha ?? 0.1
    this.o = {
      alpha,
      activeAlpha: options.activeAlpha ?? alpha / 20,
      warmup: options.warmup ?? 5,
      floor: options.floor ?? 0,
      raiseZ: options.raiseZ ?? 4,
      endZ: options.endZ ?? 2,
      endAfter: options.endAfter ?? 3,
      minStd: options.minStd ?? 1,
      minStdFraction: options.minStdFraction ?? 0.1
    }
  }

  get active (): boolean { return this.on }
  get count (): number { return this.samples }
  get value (): number { return this.mean }

  observe (x: number): BaselineStep {
    const o = this.o
    if (this.samples === 0) {
      this.mean = x
      this.variance = 0
      this.samples = 1
      return { z: 0, baseline: x, raised: false, ended: false, active: false }
    }
    const baseline = this.mean
    const std = Math.max(Math.sqrt(this.variance), o.minStd, o.minStdFraction * Math.abs(baseline))
    const z = (x - baseline) / std
    const warm = this.samples >= o.warmup
    this.samples++
    let raised = false
    let ended = false
    if (!this.on) {
      if (warm && x >= o.floor && z >= o.raiseZ) {
        this.on = true
        this.calm = 0
        raised = true
        this.update(x, o.activeAlpha)
      } else {
        this.update(x, o.alpha)
      }
    } else if (z < o.endZ || x < o.floor) {
      this.calm++
      this.update(x, o.alpha)
      if (this.calm >= o.endAfter) { this.on = false; ended = true }
    } else {
      this.calm = 0
      this.update(x, o.activeAlpha)
    }
    return { z, baseline, raised, ended, active: this.on }
  }

  private update (x: number, alpha: number): void {
    const diff = x - this.mean
    const incr = alpha * diff
    this.mean += incr
    this.variance = (1 - alpha) * (this.variance + diff * incr)
  }
}
