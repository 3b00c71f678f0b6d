import { escapeHelp, labelPairs } from './format.ts'
import { validateDefinition, validateMaxSeries } from './validate.ts'
import { utf8, type ByteWriter } from './writer.ts'
import type { LabelNames, MetricDefinition, MetricType } from './types.ts'

/** The value every label takes in a metric's overflow series. */
export const OVERFLOW_LABEL_VALUE = '__overflow__'

/** What a registry hands each metric it creates; not part of the public definition. */
export interface MetricContext {
	/** Series cap when the definition sets none. */
	maxSeries: number
	/** Called each time a new label set is folded into the overflow series. */
	onDrop: () => void
	/** Clock for exemplar timestamps, ms since the epoch. */
	now: () => number
}

/** Builds a series from its escaped `name="value",...` label pairs ('' when unlabelled). */
type SeriesFactory<S> = (labelPairs: string) => S

function key(value: unknown): string {
	// A number 200 and the string '200' would otherwise become two series rendering identically.
	return typeof value === 'string' ? value : String(value)
}

/**
 * Series storage shared by every metric type: one series object per label set, reached through
 * nested Maps keyed by each label value in turn, so a lookup never builds a string. Past the cap,
 * new label sets share one overflow series instead of growing memory.
 */
export abstract class Metric<L extends LabelNames, S> {
	readonly type: MetricType
	readonly name: string
	readonly help: string
	readonly labelNames: L
	/** Every series in creation order, overflow included once it exists; render walks this. */
	protected readonly series: S[] = []
	/** The only series of an unlabelled metric. */
	protected readonly unlabelled: S | undefined
	/** Runs the definition's `collect` callback, if any, just before rendering. */
	collect: (() => void) | undefined

	private readonly root = new Map<string, unknown>()
	private readonly depth: number
	private readonly maxSeries: number
	private readonly onDrop: () => void
	private readonly create: SeriesFactory<S>
	private overflow: S | undefined
	private regular = 0
	private readonly textHeader: Uint8Array
	private readonly openMetricsHeader: Uint8Array

	protected constructor(
		type: MetricType,
		definition: MetricDefinition<L>,
		context: MetricContext,
		create: SeriesFactory<S>,
	) {
		const labelNames = (definition.labelNames ?? []) as unknown as L
		validateDefinition(type, definition.name, definition.help, labelNames)
		this.type = type
		this.name = definition.name
		this.help = definition.help
		this.labelNames = Object.freeze([...labelNames]) as unknown as L
		this.depth = labelNames.length
		this.maxSeries =
			definition.maxSeries === undefined
				? context.maxSeries
				: validateMaxSeries(`metric "${this.name}"`, definition.maxSeries)
		this.onDrop = context.onDrop
		this.create = create
		this.textHeader = utf8(`# HELP ${this.name} ${escapeHelp(this.help, false)}\n# TYPE ${this.name} ${type}\n`)
		const family = type === 'counter' ? this.name.slice(0, -'_total'.length) : this.name
		this.openMetricsHeader = utf8(`# HELP ${family} ${escapeHelp(this.help, true)}\n# TYPE ${family} ${type}\n`)
		if (this.depth === 0) {
			// Unlabelled metrics expose 0 from the start, so rate() has a baseline.
			this.unlabelled = create('')
			this.series.push(this.unlabelled)
			this.regular = 1
		}
	}

	/** Number of series held, including the overflow series once it exists. */
	get seriesCount(): number {
		return this.series.length
	}

	/** @internal The hot path behind `labels()`: finds, or creates, the series for `values`. */
	resolve(values: ArrayLike<unknown>): S {
		const depth = this.depth
		if (values.length !== depth) {
			throw new RangeError(`metric "${this.name}" takes ${depth} label values, got ${values.length}`)
		}
		if (depth === 0) return this.unlabelled as S
		let node = this.root
		for (let i = 0; i < depth - 1; i++) {
			const next = node.get(key(values[i])) as Map<string, unknown> | undefined
			if (next === undefined) return this.add(values, i, node)
			node = next
		}
		const found = node.get(key(values[depth - 1])) as S | undefined
		return found === undefined ? this.add(values, depth - 1, node) : found
	}

	/** @internal Writes the family's exposition: header, then every series. */
	writeFamily(out: ByteWriter, openMetrics: boolean): void {
		out.bytes(openMetrics ? this.openMetricsHeader : this.textHeader)
		this.writeSamples(out, openMetrics)
	}

	/** Writes the sample lines of every series. */
	protected abstract writeSamples(out: ByteWriter, openMetrics: boolean): void

	/** The unlabelled series, for the no-label shortcuts (`counter.inc()`). */
	protected single(): S {
		if (this.unlabelled === undefined) {
			throw new TypeError(`metric "${this.name}" has labels; use .labels(...) first`)
		}
		return this.unlabelled
	}

	/** Creation path: `node` is the deepest existing map, at depth `level`. */
	private add(values: ArrayLike<unknown>, level: number, node: Map<string, unknown>): S {
		const keys = Array.from(values, key)
		// Past the cap, nothing new is stored, not even intermediate maps: memory stays flat.
		const isOverflowSet = keys.every((k) => k === OVERFLOW_LABEL_VALUE)
		if (this.regular >= this.maxSeries || isOverflowSet) {
			if (!isOverflowSet) this.onDrop()
			return this.overflowSeries()
		}
		for (let i = level; i < keys.length - 1; i++) {
			const next = new Map<string, unknown>()
			node.set(keys[i] as string, next)
			node = next
		}
		const series = this.create(labelPairs(this.labelNames, keys))
		node.set(keys[keys.length - 1] as string, series)
		this.regular++
		this.series.push(series)
		return series
	}

	private overflowSeries(): S {
		if (this.overflow === undefined) {
			const values = this.labelNames.map(() => OVERFLOW_LABEL_VALUE)
			this.overflow = this.create(labelPairs(this.labelNames, values))
			this.series.push(this.overflow)
		}
		return this.overflow
	}
}
