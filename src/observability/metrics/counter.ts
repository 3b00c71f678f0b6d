import { Metric, type MetricContext } from './metric.ts'
import type { LabelNames, LabelValues, MetricDefinition } from './types.ts'
import { NOTHING, utf8, type ByteWriter } from './writer.ts'

/** One counter series. Hold on to it to skip the label lookup on hot paths. */
export interface CounterChild {
	/** Adds `by` (default 1). Negative, NaN and non-numbers are ignored: counters only go up. */
	inc(by?: number): void
	get(): number
}

/** A counter series as seen from a `collect` callback, which may mirror an external total. */
export interface SettableCounterChild extends CounterChild {
	/** Sets the absolute total; negative, NaN and non-numbers are ignored. */
	set(value: number): void
}

class CounterSeries implements SettableCounterChild {
	value = 0
	/** UTF-8 of `name{labels} `, escaped and encoded once at creation so render only copies. */
	readonly prefix: Uint8Array

	constructor(prefix: string) {
		this.prefix = utf8(prefix)
	}

	inc(by = 1): void {
		if (typeof by === 'number' && by >= 0) this.value += by
	}

	set(value: number): void {
		if (typeof value === 'number' && value >= 0) this.value = value
	}

	get(): number {
		return this.value
	}
}

/** A counter definition; the name must end in `_total`. */
export interface CounterDefinition<L extends LabelNames> extends MetricDefinition<L> {
	/**
	 * Runs at render time, before the samples are written, to copy a total kept elsewhere
	 * (e.g. CPU seconds). Errors are caught and reported to the registry's `onCollectError`.
	 */
	collect?: (counter: CounterCollector<L>) => void
}

/** A monotonically increasing counter. Create it with `registry.counter(...)`. */
export class Counter<L extends LabelNames = readonly []> extends Metric<L, CounterSeries> {
	/** @internal Use `registry.counter()`. */
	constructor(definition: CounterDefinition<L>, context: MetricContext) {
		const name = definition.name
		super(
			'counter',
			definition,
			context,
			(pairs) => new CounterSeries(pairs === '' ? `${name} ` : `${name}{${pairs}} `),
		)
		const collect = definition.collect
		if (collect !== undefined) {
			const view = new CounterCollector(this)
			this.collect = () => collect(view)
		}
	}

	/** The series for these label values, in `labelNames` order; cached after the first call. */
	labels(...values: LabelValues<L>): CounterChild {
		return this.resolve(values)
	}

	/** Adds `by` (default 1) to an unlabelled counter. */
	inc(this: Counter<readonly []>, by?: number): void {
		this.single().inc(by)
	}

	/** Current value of an unlabelled counter. */
	get(this: Counter<readonly []>): number {
		return this.single().get()
	}

	protected writeSamples(out: ByteWriter): void {
		const series = this.series
		for (let i = 0; i < series.length; i++) {
			const s = series[i] as CounterSeries
			out.line(s.prefix, NOTHING, s.value)
		}
	}
}

/** What a counter's `collect` callback receives: the counter, with absolute `set`. */
export class CounterCollector<L extends LabelNames = readonly []> {
	readonly labelNames: L
	readonly #counter: Counter<L>

	constructor(counter: Counter<L>) {
		this.#counter = counter
		this.labelNames = counter.labelNames
	}

	labels(...values: LabelValues<L>): SettableCounterChild {
		return this.#counter.resolve(values)
	}

	/** Sets the total of an unlabelled counter. */
	set(this: CounterCollector<readonly []>, value: number): void {
		this.#counter.resolve([]).set(value)
	}
}
