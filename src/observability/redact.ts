/**
 * Making values safe to write: secrets scrubbed, everything JSON-writable.
 *
 * Secrets are caught in two ways: field names that always hold them are
 * replaced wholesale, and strings are scanned for the two shapes secrets take
 * inside free text (credentials in URLs, bearer tokens). Both run on the hot
 * path, so each check starts with a cheap test that rules out the common case.
 * Nested values (objects, arrays, errors) go through {@link sanitize}, which is
 * only reached when a field actually holds one.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]'

// Compared against the key lower-cased with `-`, `_`, `.` and spaces removed, so
// `API_KEY`, `x-api-key` and `apiKey` all read `apikey`.
const SENSITIVE_PARTS = [
	'authorization',
	'cookie',
	'password',
	'passwd',
	'secret',
	'apikey',
	'credential',
	'privatekey',
]
// `token` only as a suffix (`DISCORD_TOKEN`, `accessToken`, `csrf-token`), so
// harmless counters such as `tokenCount` stay readable.
const SENSITIVE_SUFFIXES = ['token', 'tokens']

const SEPARATORS = /[-_.\s]/g

function computeSensitive(key: string): boolean {
	const k = key.toLowerCase().replace(SEPARATORS, '')
	for (const part of SENSITIVE_PARTS) if (k.includes(part)) return true
	for (const suffix of SENSITIVE_SUFFIXES) if (k.endsWith(suffix)) return true
	return false
}

// Keys repeat endlessly in logs; remember the verdict. Bounded because keys can
// come from data (header maps, user-supplied objects).
const MAX_CACHED_KEYS = 4096
const sensitiveCache = new Map<string, boolean>()

/**
 * Whether a field with this name must never be written as-is
 * (case-insensitive, at any depth): authorization, cookie, set-cookie,
 * password, passwd, secret, token, api_key/apikey, DISCORD_TOKEN,
 * METRICS_TOKEN and their spelling variants.
 */
export function isSensitiveKey(key: string): boolean {
	let verdict = sensitiveCache.get(key)
	if (verdict === undefined) {
		verdict = computeSensitive(key)
		if (sensitiveCache.size >= MAX_CACHED_KEYS) sensitiveCache.clear()
		sensitiveCache.set(key, verdict)
	}
	return verdict
}

// scheme://user:password@host — the authority ends at the first / ? # or
// whitespace, and the password runs to the last `@` inside it (WHATWG URL
// parsing), so an unescaped `@` in a password is still fully hidden.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#]*@/gi
// Whatever follows "bearer" up to a delimiter: a superset of RFC 6750's
// b64token, so an odd token is over-redacted rather than half-shown. Prose
// ("a bearer of…") loses a word; that is the cheaper mistake.
const BEARER_TOKEN = /\b(bearer\s+)[^\s"'<>,;]+/gi
const BEARER_HINT = /bearer/i

/**
 * Hides URL passwords (`postgres://user:pass@host` → `postgres://user:***@host`)
 * and bearer tokens (`Bearer abc` → `Bearer [REDACTED]`) inside free text.
 * Returns the same string when there is nothing to hide.
 */
export function redactString(value: string): string {
	// Cheapest possible rejection first: the shortest secret-bearing shapes
	// (`a://b:@c`, `Bearer x`) need 8 characters and an `@` or the word bearer.
	if (value.length < 8) return value
	let out = value
	if (out.includes('@') && out.includes('://')) {
		out = out.replace(URL_CREDENTIALS, '$1***@')
	}
	if (BEARER_HINT.test(out)) {
		out = out.replace(BEARER_TOKEN, `$1${REDACTED}`)
	}
	return out
}

// ---------------------------------------------------------------- values

const MAX_DEPTH = 8
const MAX_CAUSE_DEPTH = 5
const MAX_LISTED_ERRORS = 10

/** The shape every error takes in a log line. */
export interface SerializedError {
	name: string
	message: string
	stack?: string
	code?: string | number
	cause?: unknown
	errors?: unknown[]
}

/** Errors, including ones from another realm and already-serialized ones. */
export function isErrorLike(value: unknown): value is Error {
	if (value instanceof Error) return true
	if (typeof value !== 'object' || value === null) return false
	const v = value as { message?: unknown; stack?: unknown }
	return typeof v.message === 'string' && typeof v.stack === 'string'
}

function serializeAt(err: unknown, depth: number, seen: unknown[]): SerializedError {
	if (!isErrorLike(err)) return { name: 'NonError', message: String(err) }
	seen.push(err)
	const e = err as Error & { code?: unknown; errors?: unknown }
	const out: SerializedError = {
		name: typeof e.name === 'string' ? e.name : 'Error',
		message: String(e.message),
	}
	if (typeof e.stack === 'string') out.stack = e.stack
	if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code
	if (e.cause !== undefined) out.cause = nestedError(e.cause, depth, seen)
	// AggregateError: a failed connect (happy eyeballs) hides the real reasons here.
	if (Array.isArray(e.errors)) {
		out.errors = e.errors.slice(0, MAX_LISTED_ERRORS).map((x) => nestedError(x, depth, seen))
	}
	return out
}

function nestedError(value: unknown, depth: number, seen: unknown[]): unknown {
	if (seen.includes(value)) return '[Circular]'
	if (depth + 1 >= MAX_CAUSE_DEPTH) return '[Truncated]'
	// A non-error cause (a status object, a string) is data: sanitize() later
	// redacts it like any other value.
	return isErrorLike(value) ? serializeAt(value, depth + 1, seen) : value
}

/**
 * LogLayer `errorSerializer`: name, message, stack, `code` when present,
 * `cause` recursively (cycles cut) and AggregateError's `errors`. Anything
 * thrown that is not an Error becomes `{ name: 'NonError', message }`.
 * Never throws, because LogLayer calls it outside the transport's guard.
 */
export function serializeError(err: unknown): SerializedError {
	try {
		return serializeAt(err, 0, [])
	} catch {
		return { name: 'Error', message: '[unserializable error]' }
	}
}

/**
 * A copy of `value` that JSON.stringify can write without throwing or leaking:
 * secrets redacted (by key at any depth, and inside strings), BigInt as decimal
 * strings, errors serialized, cycles and excessive depth cut, Maps/Sets as
 * objects/arrays, byte buffers summarised. `undefined` means "leave it out".
 * Never throws: a hostile getter or toJSON costs its value, not the line.
 */
export function sanitize(value: unknown): unknown {
	try {
		return clean(value, 0, [])
	} catch {
		return '[Unserializable]'
	}
}

function clean(value: unknown, depth: number, ancestors: object[]): unknown {
	switch (typeof value) {
		case 'string':
			return redactString(value)
		case 'number':
		case 'boolean':
			return value
		case 'bigint':
			return String(value)
		case 'object':
			return value === null ? null : cleanObject(value, depth, ancestors)
		default:
			return undefined // functions, symbols, undefined: JSON leaves them out too
	}
}

function cleanObject(obj: object, depth: number, ancestors: object[]): unknown {
	if (ancestors.includes(obj)) return '[Circular]'
	if (depth >= MAX_DEPTH) return '[Truncated]'
	if (isErrorLike(obj)) obj = serializeAt(obj, 0, [])
	// Buffers would otherwise be written byte by byte.
	if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`
	ancestors.push(obj)
	try {
		if (Array.isArray(obj)) {
			const out: unknown[] = new Array(obj.length)
			for (let i = 0; i < obj.length; i++) out[i] = clean(obj[i], depth + 1, ancestors) ?? null
			return out
		}
		if (obj instanceof Map) return cleanEntries(obj.entries(), depth, ancestors)
		if (obj instanceof Set) return clean([...obj], depth, ancestors)
		// Date, URL, Headers: their JSON form, which is then cleaned in turn.
		const toJSON = (obj as { toJSON?: unknown }).toJSON
		if (typeof toJSON === 'function') return clean(toJSON.call(obj), depth + 1, ancestors)
		return cleanEntries(Object.entries(obj), depth, ancestors)
	} finally {
		ancestors.pop()
	}
}

function cleanEntries(entries: Iterable<[unknown, unknown]>, depth: number, ancestors: object[]): object {
	// No prototype, so a `__proto__` key is kept as data instead of being swallowed.
	const out: Record<string, unknown> = Object.create(null)
	for (const [rawKey, value] of entries) {
		const key = String(rawKey)
		const cleaned = isSensitiveKey(key) ? REDACTED : clean(value, depth + 1, ancestors)
		if (cleaned !== undefined) out[key] = cleaned
	}
	return out
}
