import type { MetricType } from './types.ts'

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Thrown when a metric definition breaks Prometheus naming rules; always a programming error. */
export class MetricDefinitionError extends Error {
	override readonly name = 'MetricDefinitionError'
}

function fail(metric: string, reason: string): never {
	throw new MetricDefinitionError(`metric ${JSON.stringify(metric)}: ${reason}`)
}

/** Checks name, help and label names the way client_golang does at definition time. */
export function validateDefinition(
	type: MetricType,
	name: unknown,
	help: unknown,
	labelNames: readonly unknown[],
): void {
	if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
		fail(String(name), 'name must match [a-zA-Z_:][a-zA-Z0-9_:]*')
	}
	if (typeof help !== 'string' || help.trim() === '') fail(name, 'help must be a non-empty string')
	if (type === 'counter') {
		// OpenMetrics derives the family name by dropping `_total`; it must leave something behind.
		if (!name.endsWith('_total') || name.length === '_total'.length) {
			fail(name, 'counter names must end in "_total"')
		}
	} else if (name.endsWith('_total')) {
		fail(name, `only counters may end in "_total" (this is a ${type})`)
	}
	const seen = new Set<string>()
	for (const label of labelNames) {
		if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
			fail(name, `label name ${JSON.stringify(label)} must match [a-zA-Z_][a-zA-Z0-9_]*`)
		}
		if (label.startsWith('__')) fail(name, `label name "${label}" is reserved (starts with "__")`)
		if (type === 'histogram' && label === 'le') fail(name, 'histograms cannot have a "le" label')
		if (seen.has(label)) fail(name, `label name "${label}" is repeated`)
		seen.add(label)
	}
}

/** Bucket upper bounds must be finite and strictly ascending; `+Inf` is always appended. */
export function validateBuckets(name: string, buckets: readonly unknown[]): readonly number[] {
	let previous = -Infinity
	for (const bound of buckets) {
		if (typeof bound !== 'number' || !Number.isFinite(bound)) {
			fail(name, `bucket ${String(bound)} must be a finite number (+Inf is added automatically)`)
		}
		if (bound <= previous) fail(name, 'buckets must be sorted in strictly ascending order')
		previous = bound
	}
	return buckets as readonly number[]
}

/** A series cap is a positive integer, or Infinity for metrics bounded by construction. */
export function validateMaxSeries(where: string, value: unknown): number {
	if (value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
		return value
	}
	throw new MetricDefinitionError(`${where}: maxSeries must be a positive integer, got ${String(value)}`)
}
