/**
 * Exposition helpers shared by both formats. They run when a metric or series is created, so
 * render only copies their results; the exceptions are `formatNumber` for values that are not
 * integers and `escapeLabelValue` for exemplars.
 */

const LABEL_SPECIALS = /[\\"\n]/
const LABEL_SPECIALS_G = /[\\"\n]/g
const TEXT_HELP_SPECIALS_G = /[\\\n]/g
const OM_HELP_SPECIALS_G = /[\\"\n]/g

function escapeChar(c: string): string {
	return c === '\n' ? '\\n' : '\\' + c
}

/**
 * Escapes a label value (or exemplar value) for both formats: `\\`, `\"`, `\n`. Lone
 * surrogates are left to the UTF-8 encoding in writer.ts, which turns them into U+FFFD.
 */
export function escapeLabelValue(value: string): string {
	return LABEL_SPECIALS.test(value) ? value.replace(LABEL_SPECIALS_G, escapeChar) : value
}

/**
 * Escapes HELP text. The 0.0.4 text parser rejects `\"` in HELP, while OpenMetrics requires it,
 * hence the two variants.
 */
export function escapeHelp(help: string, openMetrics: boolean): string {
	return help.replace(openMetrics ? OM_HELP_SPECIALS_G : TEXT_HELP_SPECIALS_G, escapeChar)
}

/** `name1="v1",name2="v2"` for a series, built once when the series is created. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
	let out = ''
	for (let i = 0; i < names.length; i++) {
		if (i > 0) out += ','
		out += names[i] + '="' + escapeLabelValue(values[i] ?? '') + '"'
	}
	return out
}

/** A sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, otherwise JS shortest form. */
export function formatNumber(n: number): string {
	if (n - n === 0) return '' + n // finite: Infinity - Infinity and NaN - NaN are NaN
	return n !== n ? 'NaN' : n > 0 ? '+Inf' : '-Inf'
}

/**
 * OpenMetrics wants `le` values in canonical float form (`1.0`, not `1`), which is what
 * Prometheus itself emits and matches against when it normalises bucket labels.
 */
export function formatOpenMetricsLe(n: number): string {
	const s = formatNumber(n)
	return Number.isInteger(n) && !s.includes('e') ? s + '.0' : s
}
