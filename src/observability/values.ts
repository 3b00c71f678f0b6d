/**
 * Making values writable as JSON: errors serialized, BigInt as decimal strings, cycles and
 * excessive depth cut, Maps/Sets as objects/arrays, byte buffers summarised. The walk takes
 * an optional string/key filter, which is how the redaction plugin (./redact.ts) scrubs
 * secrets in the same pass. Nothing here throws: a hostile getter or toJSON costs its
 * value, not the line.
 */

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
	// A non-error cause (a status object, a string) is data, cleaned later like any other value.
	return isErrorLike(value) ? serializeAt(value, depth + 1, seen) : value
}

/**
 * LogLayer `errorSerializer`: name, message, stack, `code` when present, `cause`
 * recursively (cycles cut) and AggregateError's `errors`. Anything thrown that is not an
 * Error becomes `{ name: 'NonError', message }`. Never throws, because LogLayer calls it
 * outside the transport's guard.
 */
export function serializeError(err: unknown): SerializedError {
	try {
		return serializeAt(err, 0, [])
	} catch {
		return { name: 'Error', message: '[unserializable error]' }
	}
}

/** What a walk does to strings and to values under a key; identity when not given. */
export interface ValueFilter {
	/** Rewrites a string found anywhere in the value. */
	text(value: string): string
	/** The replacement for the value under `key`, or undefined to keep (and walk) it. */
	key(key: string): string | undefined
}

const PLAIN: ValueFilter = { text: (value) => value, key: () => undefined }

/**
 * A copy of `value` that JSON.stringify can write without throwing. `undefined` means
 * "leave it out" (functions, symbols). With a `filter`, every string and every keyed value
 * goes through it on the way.
 */
export function sanitize(value: unknown, filter: ValueFilter = PLAIN): unknown {
	try {
		return clean(value, 0, [], filter)
	} catch {
		return '[Unserializable]'
	}
}

function clean(value: unknown, depth: number, ancestors: object[], filter: ValueFilter): unknown {
	switch (typeof value) {
		case 'string':
			return filter.text(value)
		case 'number':
		case 'boolean':
			return value
		case 'bigint':
			return String(value)
		case 'object':
			return value === null ? null : cleanObject(value, depth, ancestors, filter)
		default:
			return undefined // functions, symbols, undefined: JSON leaves them out too
	}
}

function cleanObject(obj: object, depth: number, ancestors: object[], filter: ValueFilter): unknown {
	if (ancestors.includes(obj)) return '[Circular]'
	if (depth >= MAX_DEPTH) return '[Truncated]'
	if (isErrorLike(obj)) obj = serializeAt(obj, 0, [])
	// Buffers would otherwise be written byte by byte.
	if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`
	ancestors.push(obj)
	try {
		if (Array.isArray(obj)) {
			const out: unknown[] = new Array(obj.length)
			for (let i = 0; i < obj.length; i++) out[i] = clean(obj[i], depth + 1, ancestors, filter) ?? null
			return out
		}
		if (obj instanceof Map) return cleanEntries(obj.entries(), depth, ancestors, filter)
		if (obj instanceof Set) return clean([...obj], depth, ancestors, filter)
		// Date, URL, Headers: their JSON form, which is then cleaned in turn.
		const toJSON = (obj as { toJSON?: unknown }).toJSON
		if (typeof toJSON === 'function') return clean(toJSON.call(obj), depth + 1, ancestors, filter)
		return cleanEntries(Object.entries(obj), depth, ancestors, filter)
	} finally {
		ancestors.pop()
	}
}

function cleanEntries(
	entries: Iterable<[unknown, unknown]>,
	depth: number,
	ancestors: object[],
	filter: ValueFilter,
): object {
	// No prototype, so a `__proto__` key is kept as data instead of being swallowed.
	const out: Record<string, unknown> = Object.create(null)
	for (const [rawKey, value] of entries) {
		const key = String(rawKey)
		const cleaned = filter.key(key) ?? clean(value, depth + 1, ancestors, filter)
		if (cleaned !== undefined) out[key] = cleaned
	}
	return out
}
