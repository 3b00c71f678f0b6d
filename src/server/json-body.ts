/**
 * JSON request bodies: the only kind the API accepts, under a size limit and a nesting
 * limit (README "Hostile and malformed input").
 *
 * Content types: `application/json` in any case, with any parameters, and
 * `application/*+json`; anything else is `415 UNSUPPORTED_MEDIA_TYPE` and never parsed, so
 * a form posted from another site (`application/x-www-form-urlencoded`, `text/plain`, the
 * kinds a browser sends cross-origin without asking) cannot write.
 *
 * Nesting: our bodies nest three levels at most, but a hostile one can nest a hundred
 * thousand (`[[[[…]]]]` fits in a few hundred KB); Elysia's validation error then
 * pretty-prints the value, which is quadratic in the depth (20,000 levels blocked the
 * event loop for 6 s) or overflows the stack (a 500). Such bodies are refused before they
 * are parsed, with one linear scan.
 */
import { Elysia } from 'elysia'
import { AppError } from '../errors'
import { readBodyText } from './body-limit'

/** Deepest nesting of arrays and objects accepted in a JSON body (default 32). */
export const MAX_JSON_DEPTH = 32
/** Largest body accepted (default 1 MiB). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024

/** Whether `text` opens more than `max` arrays/objects at once (strings are skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
	let depth = 0
	let inString = false
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i)
		if (inString) {
			if (c === 92)
				i++ // backslash: skip the escaped character
			else if (c === 34) inString = false
		} else if (c === 34) inString = true
		else if (c === 91 || c === 123) {
			if (++depth > max) return true
		} else if (c === 93 || c === 125) depth--
	}
	return false
}

/** Whether a Content-Type header names JSON: `application/json` or `application/*+json`. */
export function isJsonContentType(header: string | null): boolean {
	if (header === null) return false
	const mime = (header.split(';', 1)[0] as string).trim().toLowerCase()
	return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))
}

export const bodyTooDeep = (max: number) =>
	new AppError(400, 'MALFORMED_BODY', `The JSON body nests deeper than ${max} levels`)

export const unsupportedMediaType = () =>
	new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (Content-Type: application/json)')

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
	/** Deepest nesting accepted (default {@link MAX_JSON_DEPTH}). */
	maxDepth?: number
	/** Largest body in bytes (default {@link DEFAULT_BODY_LIMIT_BYTES}); larger is a 413. */
	limitBytes?: number
}

/**
 * Parses the bodies of the routes of the module that uses it (the hook is scoped): JSON
 * only, within the size and nesting limits. Errors it throws are counted under the route's
 * template, like any failure of that route.
 */
export function jsonBody(options: JsonBodyOptions = {}) {
	const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH
	const limit = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES
	return new Elysia({ name: 'byte.json-body', seed: { maxDepth, limit } }).onParse(
		{ as: 'scoped' },
		async function parseJsonBody({ request }) {
			const type = request.headers.get('content-type')
			if (!isJsonContentType(type)) {
				// No body and no type: nothing to parse; the route's schema says what is missing.
				if (type === null && request.body === null) return null
				throw unsupportedMediaType()
			}
			const text = await readBodyText(request, limit)
			if (nestsDeeperThan(text, maxDepth)) throw bodyTooDeep(maxDepth)
			return JSON.parse(text)
		},
	)
}
