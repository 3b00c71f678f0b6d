/**
 * Exemplar label sets (README "Tracing (W3C Trace Context, OpenTelemetry)"): what a histogram
 * bucket's latest exemplar carries, validated once when the set is made, escaped only if a
 * scrape renders it.
 *
 * OpenMetrics 1.0 caps an exemplar's label set at 128 UTF-8 code points, names and values
 * together, so a set that does not fit is never made.
 */
import { escapeLabelValue } from './format.ts'

export const EXEMPLAR_MAX_CODE_POINTS = 128

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Code points of `s` (a lone surrogate counts as the one U+FFFD it is written as). */
function codePoints(s: string): number {
	let n = 0
	for (const _ of s) n++
	return n
}

/**
 * True when `namesLength` characters of label names (ASCII, as valid names are) plus `values`
 * hold at most 128 code points.
 */
function fits(namesLength: number, values: readonly string[]): boolean {
	let units = 0
	for (const v of values) units += v.length
	// A code point takes one or two UTF-16 units, so most sets are decided by length alone.
	if (namesLength + units <= EXEMPLAR_MAX_CODE_POINTS) return true
	if (namesLength + Math.ceil(units / 2) > EXEMPLAR_MAX_CODE_POINTS) return false
	let points = namesLength
	for (const v of values) points += codePoints(v)
	return points <= EXEMPLAR_MAX_CODE_POINTS
}

/** An exemplar's labels: valid names, string values, within the OpenMetrics length limit. */
export class ExemplarLabels {
	private rendered: string | undefined

	/** @internal Use {@link ExemplarLabels.of} or {@link traceExemplar}, which validate. */
	constructor(
		private readonly names: readonly string[],
		private readonly values: readonly string[],
	) {}

	/**
	 * The label set `labels`, in their order, or undefined when it is empty, a name is not a
	 * valid label name, a value is not a string, or it exceeds 128 code points.
	 */
	static of(labels: Readonly<Record<string, string>>): ExemplarLabels | undefined {
		const names = Object.keys(labels)
		const values = Object.values(labels)
		if (names.length === 0) return undefined
		for (let i = 0; i < names.length; i++) {
			if (!LABEL_NAME.test(names[i] as string) || typeof values[i] !== 'string') return undefined
		}
		const namesLength = names.reduce((n, name) => n + name.length, 0)
		return fits(namesLength, values) ? new ExemplarLabels(names, values) : undefined
	}

	/** `name="value",…` with values escaped as label values; built on first use. */
	text(): string {
		if (this.rendered === undefined) {
			let out = ''
			for (let i = 0; i < this.names.length; i++) {
				if (i > 0) out += ','
				out += `${this.names[i]}="${escapeLabelValue(this.values[i] as string)}"`
			}
			this.rendered = out
		}
		return this.rendered
	}

	/** The labels as an object, in order. */
	toJSON(): Record<string, string> {
		return Object.fromEntries(this.names.map((n, i) => [n, this.values[i] as string]))
	}
}

const TRACE_NAMES = ['trace_id', 'span_id'] as const
const WITH_CORRELATION = ['trace_id', 'span_id', 'correlation_id'] as const
const TRACE_NAMES_LENGTH = 'trace_id'.length + 'span_id'.length
const WITH_CORRELATION_LENGTH = TRACE_NAMES_LENGTH + 'correlation_id'.length

/**
 * The exemplar of an observation made inside a traced request or attempt: `trace_id` and
 * `span_id` (the labels Grafana follows to a trace, and that OpenTelemetry's Prometheus
 * compatibility rules name), plus `correlation_id` when it differs from the trace ID and the
 * whole set still fits in 128 code points (a UUID does; a 128-character ID does not, and is
 * left out rather than the whole exemplar). Undefined only when the IDs themselves do not fit.
 */
export function traceExemplar(traceId: string, spanId: string, correlationId?: string): ExemplarLabels | undefined {
	if (correlationId && correlationId !== traceId) {
		const values = [traceId, spanId, correlationId]
		if (fits(WITH_CORRELATION_LENGTH, values)) return new ExemplarLabels(WITH_CORRELATION, values)
	}
	const values = [traceId, spanId]
	return fits(TRACE_NAMES_LENGTH, values) ? new ExemplarLabels(TRACE_NAMES, values) : undefined
}
