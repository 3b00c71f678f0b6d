import { Metric, type MetricContext } from './metric.ts'
import type { LabelNames, LabelValues, MetricDefinition } from './types.ts'
import { NOTHING, utf8, type ByteWriter } from './writer.ts'

/** One gauge series. Hold on to it to skip the label lookup on hot paths. */
export interface GaugeChild {
	/** Sets the value; any number, NaN included (a valid gauge value). Non-numbers are ignored. */
	set(value: number): void
	/** Adds `by` (default 1); NaN and non-numbers are ignored. */
	inc(by?: number): void
	/** Subtracts `by` (default 1); NaN and non-numbers are ignored. */
	dec(by?: number): void
	get(): number
}

class GaugeSeries implements GaugeChild {
	value = 0
	/** UTF-8 of `name{labels} `, escaped and encoded once at creation so render only copies. */
	readonly prefix: Uint8Array

	constructor(prefix: string) {
		this.prefix = utf8(prefix)
	}

	set(value: number): void {
		if (typeof value === 'number') this.value = value
	}

	inc(by = 1): void {
		if (typeof by === 'number' && by === by) this.value += by
	}

	dec(by = 1): void {
		if (typeof by === 'number' && by === by) this.value -= by
	}

	get(): number {
		return this.value
	}
}

/** A gauge definition. */
export interface GaugeDefinition<L extends LabelNames> extends MetricDefinition<L> {
	/**
	 * Runs at render time, before the samples are written, to sample a current value
	 * (memory, open files). Errors are caught and reported to the registry's `onCollectError`.
	 */
	collect?: (gauge: Gauge<L>) => void
}

/** A value that goes up and down. Create it with `registry.gauge(...)`. */
export class Gauge<L extends LabelNames = readonly []> extends Metric<L, GaugeSeries> {
	/** @internal Use `registry.gauge()`. */
	constructor(definition: GaugeDefinition<L>, context: MetricContext) {
		const name = definition.name
		super('gauge', definition, context, (pairs) => new GaugeSeries(pairs === '' ? `${name} ` : `${name}{${pairs}} `))
		const collect = definition.collect
		if (collect !== undefined) this.collect = () => collect(this)
	}

	/** The series for these label values, in `labelNames` order; cached after the first call. */
	labels(...values: LabelValues<L>): GaugeChild {
		return this.resolve(values)
	}

	set(this: Gauge<readonly []>, value: number): void {
		this.single().set(value)
	}

	inc(this: Gauge<readonly []>, by?: number): void {
		this.single().inc(by)
	}

	dec(this: Gauge<readonly []>, by?: number): void {
		this.single().dec(by)
	}

	get(this: Gauge<readonly []>): number {
		return this.single().get()
	}

	protected writeSamples(out: ByteWriter): void {
		const series = this.series
		for (let i = 0; i < series.length; i++) {
			const s = series[i] as GaugeSeries
			out.line(s.prefix, NOTHING, s.value)
		}
	}
}
