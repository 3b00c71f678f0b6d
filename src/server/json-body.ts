/**
 * JSON request bodies with a nesting limit. Our bodies nest three levels at most, but a
 * hostile one can nest a hundred thousand (`[[[[…]]]]` fits in a few hundred KB); Elysia's
 * validation error then pretty-prints the value, which is quadratic in the depth (20,000
 * levels blocked the event loop for 6 s) or overflows the stack (a 500). Such bodies are
 * refused before they are parsed, with one linear scan.
 */
import { Elysia } from 'elysia'
import { AppError } from '../errors'

/** Deepest nesting of arrays and objects accepted in a JSON body (default 32). */
export const MAX_JSON_DEPTH = 32

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

export const bodyTooDeep = (max: number) =>
	new AppError(400, 'MALFORMED_BODY', `The JSON body nests deeper than ${max} levels`)

/**
 * Parses `application/json` bodies itself, refusing deep nesting with a 400; other content
 * types go on to Elysia's parsers. Use it in each module whose routes take JSON bodies: the
 * hook is scoped to that module's routes. A global parse hook would make Elysia compile
 * every route handler as async, a promise per request even on GET /health/live.
 */
export function jsonBody(options: { maxDepth?: number } = {}) {
	const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH
	return new Elysia({ name: 'byte.json-body', seed: maxDepth }).onParse(
		{ as: 'scoped' },
		async function parseJsonBody({ request, contentType }) {
			if (contentType !== 'application/json') return
			const text = await request.text()
			if (nestsDeeperThan(text, maxDepth)) throw bodyTooDeep(maxDepth)
			return JSON.parse(text)
		},
	)
}
