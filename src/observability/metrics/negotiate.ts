import type { MetricsFormat } from './types.ts'

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** The format to render and the `Content-Type` to send with it. */
export interface NegotiatedFormat {
	format: MetricsFormat
	contentType: string
}

const TEXT: NegotiatedFormat = { format: 'text', contentType: TEXT_CONTENT_TYPE }
const OPENMETRICS: NegotiatedFormat = { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE }

/** Versions we can answer for each media type; '' is "no version parameter". */
const OPENMETRICS_VERSIONS = new Set(['', '1.0.0', '0.0.1'])
const TEXT_VERSIONS = new Set(['', '0.0.4'])

/**
 * Picks the exposition format from an `Accept` header, the way client_golang does: the
 * highest-q media type we can serve wins, ties go to the earlier entry, and anything
 * unparseable or unmatched falls back to the text format. Never throws.
 */
export function negotiate(accept: string | null | undefined): NegotiatedFormat {
	if (typeof accept !== 'string' || accept === '') return TEXT
	let best: NegotiatedFormat = TEXT
	let bestQ = -1
	for (const entry of accept.split(',')) {
		const [mediaType = '', ...params] = entry.split(';')
		const type = mediaType.trim().toLowerCase()
		let q = 1
		let version = ''
		for (const param of params) {
			const eq = param.indexOf('=')
			const key = param.slice(0, eq).trim().toLowerCase()
			const value = param
				.slice(eq + 1)
				.trim()
				.replace(/^"|"$/g, '')
			if (key === 'q') q = Number(value)
			else if (key === 'version') version = value
		}
		if (!(q > 0) || q <= bestQ) continue
		let candidate: NegotiatedFormat | undefined
		if (type === 'application/openmetrics-text' && OPENMETRICS_VERSIONS.has(version)) candidate = OPENMETRICS
		else if (type === 'text/plain' && TEXT_VERSIONS.has(version)) candidate = TEXT
		else if (type === '*/*' || type === 'text/*') candidate = TEXT
		if (candidate !== undefined) {
			best = candidate
			bestQ = q
		}
	}
	return best
}
