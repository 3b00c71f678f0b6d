/**
 * Credential scrubbing, as a LogLayer plugin ({@link redactionPlugin}) that every logger
 * made by createLogger carries (README "Logs").
 *
 * Secrets are caught in two ways: field names that always hold them are
 * replaced wholesale, and strings are scanned for the two shapes secrets take
 * inside free text (credentials in URLs, bearer tokens). Both run on the hot
 * path, so each check starts with a cheap test that rules out the common case.
 * Nested values (objects, arrays, errors) are walked by {@link sanitize}, which is
 * only reached when a field actually holds one.
 */
import type { LogLayerPlugin } from 'loglayer'
import { sanitize, type ValueFilter } from './values'

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

// ---------------------------------------------------------------- plugin

const SECRETS: ValueFilter = {
	text: redactString,
	key: (key) => (isSensitiveKey(key) ? REDACTED : undefined),
}

/** One field value with its secrets scrubbed, JSON-writable (see ./values.ts). */
function scrubValue(value: unknown): unknown {
	switch (typeof value) {
		case 'string':
			return redactString(value)
		case 'object':
			return value === null ? null : sanitize(value, SECRETS)
		default:
			return value
	}
}

/** Whether a plain value can be written as it is: nothing in it to hide. */
function isClean(value: unknown): boolean {
	switch (typeof value) {
		case 'string':
			return redactString(value) === value
		case 'object':
			return value === null
		default:
			return true
	}
}

/**
 * One section of a line's data (context, metadata, error) with secrets scrubbed: the same
 * object when nothing in it needs hiding (the common case: no copy), else a scrubbed copy.
 */
function scrubSection(section: unknown): unknown {
	if (typeof section !== 'object' || section === null || Array.isArray(section)) return scrubValue(section)
	const fields = section as Record<string, unknown>
	let clean = true
	for (const key in fields) {
		if (isSensitiveKey(key) || !isClean(fields[key])) {
			clean = false
			break
		}
	}
	if (clean) return section
	// No prototype, so a `__proto__` key stays data instead of becoming the object's prototype.
	const out: Record<string, unknown> = Object.create(null)
	for (const key in fields) out[key] = isSensitiveKey(key) ? REDACTED : scrubValue(fields[key])
	return out
}

function scrubMessage(message: unknown): unknown {
	if (typeof message === 'string') return redactString(message)
	try {
		return redactString(String(message))
	} catch {
		return message // the transport's own guard turns it into a fallback line
	}
}

/**
 * Scrubs every log line before it reaches a transport: the message, and each field of
 * the context, the metadata and the error, at any depth. Fields whose name always holds
 * a secret (see {@link isSensitiveKey}) become `[REDACTED]`; URL passwords and bearer
 * tokens inside any string are masked. Never throws.
 */
export function redactionPlugin(): LogLayerPlugin {
	return {
		id: 'byte-redaction',
		onBeforeMessageOut: ({ messages }) => messages.map(scrubMessage),
		onBeforeDataOut({ data }) {
			if (data === undefined) return data
			for (const key in data) data[key] = scrubSection(data[key])
			return data
		},
	}
}
