import { EXEMPLAR_MAX_CODE_POINTS, ExemplarLabels } from './exemplar.ts'
import { escapeLabelValue, formatNumber, formatOpenMetricsLe } from './format.ts'
import { Metric, type MetricContext } from './metric.ts'
import { validateBuckets } from './validate.ts'
import type { LabelNames, LabelValues, MetricDefinition } from './types.ts'
import { NEWLINE, NOTHING, utf8, type ByteWriter } from './writer.ts'

/** Prometheus' default buckets, in seconds: tuned for request latencies. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

/** The exemplar label of an observation given a plain string (a correlation ID). */
const EXEMPLAR_LABEL = 'correlation_id'
const EXEMPLAR_OPEN = utf8(` # {${EXEMPLAR_LABEL}="`)
const EXEMPLAR_CLOSE = utf8('"} ')
const LABEL_SET_OPEN = utf8(' # {')
const LABEL_SET_CLOSE = utf8('} ')
const SPACE = 32
/** OpenMetrics caps an exemplar's label names plus values at 128 code points. */
const EXEMPLAR_VALUE_MAX = EXEMPLAR_MAX_CODE_POINTS - EXEMPLAR_LABEL.length

/**
 * What `observe` accepts as an exemplar: a label set ({@link ExemplarLabels}, e.g.
 * `traceExemplar(traceId, spanId, correlationId)`), or a string, which is the set
 * `{correlation_id="<string>"}`.
 */
export type Exemplar = ExemplarLabels | string

/** True when `id` can be attached without Prometheus rejecting the exemplar. */
function exemplarFits(id: string): boolean {
	const n = id.length
	// Each code point takes one or two UTF-16 units, so most IDs are decided by length alone.
	if (n === 0 || n > 2 * EXEMPLAR_VALUE_MAX) return false
	if (n <= EXEMPLAR_VALUE_MAX) return true
	let codePoints = 0
	for (const _ of id) codePoints++
	return codePoints <= EXEMPLAR_VALUE_MAX
}

/** One histogram series. Hold on to it to skip the label lookup on hot paths. */
export interface HistogramChild {
	/**
	 * Records `value`; NaN and non-numbers are ignored. `exemplar` becomes the bucket's latest
	 * OpenMetrics exemplar; a string that is too long to be a valid one is ignored (label sets are
	 * checked when made).
	 */
	observe(value: number, exemplar?: Exemplar): void
}

/** Per-metric data every series of a histogram shares. */
interface Shape {
	/** Finite upper bounds; index `bounds.length` is the +Inf bucket. */
	readonly bounds: Float64Array
	readonly now: () => number
}

class HistogramSeries implements HistogramChild {
	sum = 0
	/** Non-cumulative per-bucket counts; render accumulates, so +Inf always equals _count. */
	readonly counts: Float64Array
	// Latest exemplar per bucket, preallocated so observe() only stores into slots.
	readonly exemplarIds: (Exemplar | undefined)[]
	readonly exemplarValues: Float64Array
	readonly exemplarTimes: Float64Array

	// UTF-8 prefixes, escaped and encoded once at creation so render only copies bytes.
	/** `name_bucket{labels,` for the text format, where `le` comes last. */
	readonly textBucketPrefix: Uint8Array
	/** `,labels} ` for OpenMetrics, where `le` comes first. */
	readonly openMetricsBucketSuffix: Uint8Array
	readonly sumPrefix: Uint8Array
	readonly countPrefix: Uint8Array

	constructor(
		readonly shape: Shape,
		pairs: string,
		name: string,
	) {
		const braced = pairs === '' ? '' : `{${pairs}}`
		this.textBucketPrefix = utf8(pairs === '' ? `${name}_bucket{` : `${name}_bucket{${pairs},`)
		this.openMetricsBucketSuffix = utf8(pairs === '' ? '} ' : `,${pairs}} `)
		this.sumPrefix = utf8(`${name}_sum${braced} `)
		this.countPrefix = utf8(`${name}_count${braced} `)
		const slots = shape.bounds.length + 1
		this.counts = new Float64Array(slots)
		this.exemplarIds = new Array<Exemplar | undefined>(slots).fill(undefined)
		this.exemplarValues = new Float64Array(slots)
		this.exemplarTimes = new Float64Array(slots)
	}

	observe(value: number, exemplar?: Exemplar): void {
		if (typeof value !== 'number' || value !== value) return
		const bounds = this.shape.bounds
		let lo = 0
		let hi = bounds.length
		while (lo < hi) {
			const mid = (lo + hi) >>> 1
			if (value <= (bounds[mid] as number)) hi = mid
			else lo = mid + 1
		}
		this.counts[lo] = (this.counts[lo] as number) + 1
		this.sum += value
		if (typeof exemplar === 'string' ? exemplarFits(exemplar) : exemplar instanceof ExemplarLabels) {
			this.exemplarIds[lo] = exemplar
			this.exemplarValues[lo] = value
			this.exemplarTimes[lo] = this.shape.now()
		}
	}
}

/** A histogram definition; `le` is reserved as a label name. */
export interface HistogramDefinition<L extends LabelNames> extends MetricDefinition<L> {
	/** Finite, strictly ascending upper bounds; `+Inf` is appended. Default `DEFAULT_BUCKETS`. */
	buckets?: readonly number[]
}

/** Cumulative buckets plus sum and count. Create it with `registry.histogram(...)`. */
export class Histogram<L extends LabelNames = readonly []> extends Metric<L, HistogramSeries> {
	/** `le="0.005"} ` per bucket, +Inf last: the text-format tail of each bucket line. */
	private readonly textLe: readonly Uint8Array[]
	/** `name_bucket{le="0.005"` per bucket: the OpenMetrics head of each bucket line. */
	private readonly openMetricsBucketHeads: readonly Uint8Array[]

	/** @internal Use `registry.histogram()`. */
	constructor(definition: HistogramDefinition<L>, context: MetricContext) {
		const name = definition.name
		const bounds = validateBuckets(String(name), definition.buckets ?? DEFAULT_BUCKETS)
		const shape: Shape = { bounds: Float64Array.from(bounds), now: context.now }
		super('histogram', definition, context, (pairs) => new HistogramSeries(shape, pairs, name))
		const all = [...bounds, Infinity]
		this.textLe = all.map((b) => utf8(`le="${formatNumber(b)}"} `))
		this.openMetricsBucketHeads = all.map((b) => utf8(`${name}_bucket{le="${formatOpenMetricsLe(b)}"`))
	}

	/** The series for these label values, in `labelNames` order; cached after the first call. */
	labels(...values: LabelValues<L>): HistogramChild {
		return this.resolve(values)
	}

	/** Records a value on an unlabelled histogram. */
	observe(this: Histogram<readonly []>, value: number, exemplar?: Exemplar): void {
		this.single().observe(value, exemplar)
	}

	protected writeSamples(out: ByteWriter, openMetrics: boolean): void {
		const series = this.series
		const slots = this.textLe.length
		for (let i = 0; i < series.length; i++) {
			const s = series[i] as HistogramSeries
			const counts = s.counts
			if (!openMetrics) {
				const total = out.buckets(s.textBucketPrefix, this.textLe, counts)
				out.line(s.sumPrefix, NOTHING, s.sum)
				out.line(s.countPrefix, NOTHING, total)
				continue
			}
			let cumulative = 0
			for (let b = 0; b < slots; b++) {
				cumulative += counts[b] as number
				const id = s.exemplarIds[b]
				if (id === undefined) {
					out.line(this.openMetricsBucketHeads[b] as Uint8Array, s.openMetricsBucketSuffix, cumulative)
					continue
				}
				out.bytes(this.openMetricsBucketHeads[b] as Uint8Array)
				out.bytes(s.openMetricsBucketSuffix)
				out.number(cumulative)
				if (typeof id === 'string') {
					out.bytes(EXEMPLAR_OPEN)
					out.text(escapeLabelValue(id))
					out.bytes(EXEMPLAR_CLOSE)
				} else {
					out.bytes(LABEL_SET_OPEN)
					out.text(id.text())
					out.bytes(LABEL_SET_CLOSE)
				}
				out.number(s.exemplarValues[b] as number)
				out.byte(SPACE)
				out.number((s.exemplarTimes[b] as number) / 1000)
				out.byte(NEWLINE)
			}
			out.line(s.sumPrefix, NOTHING, s.sum)
			out.line(s.countPrefix, NOTHING, cumulative)
		}
	}
}
