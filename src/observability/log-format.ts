/**
 * Turns one log call into one line of text: JSON for machines, a coloured
 * single line for people at a terminal. This is the output contract (README "Logs"):
 * field names and order, escaping, the pretty layout. Secrets are scrubbed before a
 * line gets here, by the redaction plugin (./redact.ts).
 *
 * JSON lines are one small object handed to a single JSON.stringify. On Bun
 * (JavaScriptCore) that measured ~20% faster than concatenating the line from
 * per-value JSON.stringify calls, byte-identical output (access line formatted
 * and written to /dev/null, interleaved, best of 18 rounds: 1.31–1.57 µs
 * against 1.62–1.94 µs): every `+=` allocates a rope node, and flattening ~30
 * of them before the write costs more than one object. JSON.stringify also
 * does all escaping in one native pass.
 */
import { redactString } from './redact'
import { isErrorLike, type SerializedError, sanitize } from './values'

/** The levels operators see (`LOG_LEVEL`, the `level` field). */
export type LevelName = 'debug' | 'info' | 'warning' | 'error' | 'critical'

/** LogLayer's level names mapped onto ours; trace has no level of its own. */
export const LEVEL_NAMES: Readonly<Record<string, LevelName>> = {
	trace: 'debug',
	debug: 'debug',
	info: 'info',
	warn: 'warning',
	error: 'error',
	fatal: 'critical',
}

/**
 * Identifiers a line carries right after `logger` when it belongs to a request or a
 * Discord event, in this order (README "Logs").
 */
export interface LineIds {
	correlation_id?: string
	/** OpenTelemetry's log-correlation field names for formats other than OTLP. */
	trace_id?: string
	span_id?: string
}

/** The parts of one log call, as the transport hands them to a format. */
export interface LineEntry {
	/** Milliseconds since the epoch. */
	time: number
	/** LogLayer's level name (`trace` … `fatal`). */
	level: string
	/** The logger name as {@link LineFormat.prepareName} rendered it. */
	name: string
	ids: LineIds
	messages: readonly unknown[]
	/** Logger-bound fields (`withContext`), without the ids, written before `fields`. */
	context: Record<string, unknown> | undefined
	/** The call's own fields (`withMetadata`), then `error` when there is one. */
	fields: Record<string, unknown> | undefined
	error: unknown
}

/** Renders lines for one output format. Implementations never see a sink. */
export interface LineFormat {
	/** Pre-renders a logger name once per logger, so lines reuse it. */
	prepareName(name: string): string
	/** One complete line, newline included. May throw; the caller falls back. */
	line(entry: LineEntry): string
	/** A minimal line saying formatting failed. Never throws. */
	fallback(time: number, level: string, name: string, ids: LineIds, error: unknown): string
}

// ---------------------------------------------------------------- keys

interface FieldKey {
	/** snake_case, renamed if it would clash with our own fields. */
	name: string
	/** The same, escaped for a terminal. */
	pretty: string
}

// Our own fields keep their place and meaning: a user field with the same name
// is renamed rather than allowed to overwrite them. Integer-like names would be
// hoisted before `timestamp` by JSON.stringify, `__proto__` would be swallowed.
const RESERVED = new Set([
	'timestamp',
	'level',
	'logger',
	'correlation_id',
	'trace_id',
	'span_id',
	'event',
	'__proto__',
])
const INTEGER_LIKE = /^\d+$/
const MAX_CACHED_KEYS = 4096
const keyCache = new Map<string, FieldKey>()

/** `guildId` → `guild_id`, `HTTPStatus` → `http_status`, `X-Request-ID` → `x_request_id`. */
export function toSnakeCase(key: string): string {
	if (/^[a-z0-9_]*$/.test(key)) return key
	return key
		.replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
		.replace(/([a-z0-9])([A-Z])/g, '$1_$2')
		.replace(/[-.\s]+/g, '_')
		.toLowerCase()
}

// Keys repeat on every line, so the conversion is cached; bounded because keys
// can come from data.
function fieldKey(key: string): FieldKey {
	let cached = keyCache.get(key)
	if (cached === undefined) {
		let name = toSnakeCase(key)
		if (RESERVED.has(name) || INTEGER_LIKE.test(name)) name = `field_${name}`
		cached = { name, pretty: escapeText(name) }
		if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear()
		keyCache.set(key, cached)
	}
	return cached
}

// ---------------------------------------------------------------- text

function eventText(messages: readonly unknown[]): string {
	if (messages.length === 1) {
		const only = messages[0]
		return typeof only === 'string' ? only : String(only)
	}
	let out = ''
	for (let i = 0; i < messages.length; i++) {
		if (i > 0) out += ' '
		out += String(messages[i])
	}
	return out
}

// C0 controls (newline, ESC…), DEL, C1 controls (0x9b is a one-byte CSI on some
// terminals) and the Unicode line/paragraph separators.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
// JSON.stringify escapes C0 itself; the rest could still act on a terminal
// tailing the JSON.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029]/
const UNSAFE_IN_JSON_ALL = /[\u007f-\u009f\u2028\u2029]/g
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function unicodeEscape(ch: string): string {
	return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** Makes text inert on a terminal: control characters become visible escapes. */
export function escapeText(text: string): string {
	return text.replace(UNSAFE_TEXT, (ch) => SHORT_ESCAPES[ch] ?? unicodeEscape(ch))
}

// ---------------------------------------------------------------- time

const MAX_DATE_MS = 253402300800000 // year 10000: toISOString changes shape there
let isoSecond = Number.NaN
let isoPrefix = ''
let isoLastMs = Number.NaN
let isoLast = ''

/**
 * ISO 8601 UTC with milliseconds. A busy process writes many lines per
 * millisecond, so the last result is reused and the date part cached per second.
 */
export function isoTimestamp(ms: number): string {
	// A broken clock must not break logging.
	const t = ms >= 0 && ms < MAX_DATE_MS ? Math.floor(ms) : Date.now()
	if (t === isoLastMs) return isoLast
	const second = Math.floor(t / 1000)
	if (second !== isoSecond) {
		isoPrefix = new Date(second * 1000).toISOString().slice(0, 20)
		isoSecond = second
	}
	const milli = t - second * 1000
	isoLastMs = t
	isoLast = `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`
	return isoLast
}

let clockSecond = Number.NaN
let clockPrefix = ''

function pad2(n: number): string {
	return n < 10 ? `0${n}` : String(n)
}

/** Local wall-clock `HH:MM:SS.mmm` for the terminal. */
function localClock(ms: number): string {
	const t = ms >= 0 && ms < MAX_DATE_MS ? Math.floor(ms) : Date.now()
	const second = Math.floor(t / 1000)
	if (second !== clockSecond) {
		const d = new Date(second * 1000)
		clockPrefix = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.`
		clockSecond = second
	}
	const milli = t - second * 1000
	return `${clockPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}`
}

// ---------------------------------------------------------------- json

function addFields(entry: Record<string, unknown>, data: Record<string, unknown>): void {
	for (const key in data) {
		const value = sanitize(data[key])
		if (value !== undefined) entry[fieldKey(key).name] = value
	}
}

function addIds(entry: Record<string, unknown>, ids: LineIds): void {
	if (ids.correlation_id !== undefined) entry.correlation_id = ids.correlation_id
	if (ids.trace_id !== undefined) entry.trace_id = ids.trace_id
	if (ids.span_id !== undefined) entry.span_id = ids.span_id
}

/** Escapes what JSON.stringify leaves raw but could still act on a terminal (DEL, C1, U+2028/9). */
function escapeUnsafeJson(json: string): string {
	return UNSAFE_IN_JSON.test(json) ? json.replace(UNSAFE_IN_JSON_ALL, unicodeEscape) : json
}

function finishJson(entry: Record<string, unknown>): string {
	return `${escapeUnsafeJson(JSON.stringify(entry))}\n`
}

/**
 * One JSON object per line: timestamp, level, logger, the ids (`correlation_id`, `trace_id`,
 * `span_id`), event, then the fields.
 */
export const jsonFormat: LineFormat = {
	prepareName: (name) => name,
	line({ time, level, name, ids, messages, context, fields, error }) {
		const entry: Record<string, unknown> = {
			timestamp: isoTimestamp(time),
			level: LEVEL_NAMES[level] ?? 'info',
			logger: name,
		}
		addIds(entry, ids)
		entry.event = eventText(messages)
		if (context !== undefined) addFields(entry, context)
		if (fields !== undefined) addFields(entry, fields)
		if (error !== undefined) entry.error = sanitize(error)
		return finishJson(entry)
	},
	fallback(time, level, name, ids, error) {
		try {
			const entry: Record<string, unknown> = { timestamp: isoTimestamp(time), level: LEVEL_NAMES[level] ?? 'error' }
			entry.logger = name
			addIds(entry, ids)
			entry.event = 'log line could not be formatted'
			entry.format_error = redactString(error instanceof Error ? error.message : String(error))
			return finishJson(entry)
		} catch {
			return '{"level":"error","event":"log line could not be formatted"}\n'
		}
	},
}

// ---------------------------------------------------------------- pretty

const PRETTY_LABEL: Readonly<Record<LevelName, readonly [string, string]>> = {
	debug: ['DEBUG   ', '\x1b[90m'],
	info: ['INFO    ', '\x1b[32m'],
	warning: ['WARNING ', '\x1b[33m'],
	error: ['ERROR   ', '\x1b[31m'],
	critical: ['CRITICAL', '\x1b[1;41;97m'],
}
const RESET = '\x1b[0m'
const DIM = '\x1b[2m'
const CYAN = '\x1b[36m'
const BARE_VALUE = /^[^\s"'=\\\u0000-\u001f\u007f-\u009f\u2028\u2029]+$/

function prettyValue(value: unknown): string | undefined {
	switch (typeof value) {
		case 'string':
			return BARE_VALUE.test(value) ? value : escapeText(JSON.stringify(value))
		case 'number':
		case 'boolean':
		case 'bigint':
			return String(value)
		case 'object': {
			const json = JSON.stringify(sanitize(value))
			return json === undefined ? undefined : escapeText(json)
		}
		default:
			return undefined
	}
}

function errorBlock(err: SerializedError, indent: string): string {
	const body = err.stack ?? `${err.name}: ${err.message}`
	let out = ''
	for (const line of body.split(/\r\n|\r|\n/)) out += `${indent}${escapeText(line)}\n`
	if (err.cause !== undefined) out += nestedBlock('Caused by:', err.cause, indent)
	for (const inner of err.errors ?? []) out += nestedBlock('Including:', inner, indent)
	return out
}

function nestedBlock(title: string, value: unknown, indent: string): string {
	const inner = `${indent}  `
	const body = isErrorLike(value)
		? errorBlock(value as SerializedError, inner)
		: `${inner}${prettyValue(value) ?? ''}\n`
	return `${indent}${title}\n${body}`
}

/**
 * `HH:MM:SS.mmm LEVEL logger [correlation_id] event key=value …` in local time,
 * error stacks indented below. Every piece of caller-supplied text is escaped,
 * so a hostile value can neither start a line of its own nor emit terminal
 * escape sequences; continuation lines always start with whitespace.
 */
export function prettyFormat(color: boolean): LineFormat {
	const paint = (code: string, text: string) => (color ? code + text + RESET : text)
	const label = (level: string) => {
		const [text, code] = PRETTY_LABEL[LEVEL_NAMES[level] ?? 'info']
		return paint(code, text)
	}
	return {
		prepareName: (name) => paint(CYAN, escapeText(name)),
		line({ time, level, name, ids, messages, context, fields, error }) {
			let out = `${paint(DIM, localClock(time))} ${label(level)} ${name}`
			if (ids.correlation_id !== undefined) out += ` ${paint(DIM, `[${escapeText(ids.correlation_id)}]`)}`
			out += ` ${escapeText(eventText(messages))}`
			let below = ''
			const addPretty = (key: string, value: unknown) => {
				let text: string | undefined
				if (isErrorLike(value)) {
					const err = sanitize(value) as SerializedError
					text = prettyValue(`${err.name}: ${err.message}`)
					below += errorBlock(err, '    ')
				} else text = prettyValue(value)
				if (text !== undefined) out += ` ${paint(DIM, `${fieldKey(key).pretty}=`)}${text}`
			}
			if (context !== undefined) for (const key in context) addPretty(key, context[key])
			if (fields !== undefined) for (const key in fields) addPretty(key, fields[key])
			if (error !== undefined) addPretty('error', error)
			// Last, dim: people follow the correlation ID; the trace IDs are there to paste into a trace search.
			if (ids.trace_id !== undefined) out += ` ${paint(DIM, `trace_id=${escapeText(ids.trace_id)}`)}`
			if (ids.span_id !== undefined) out += ` ${paint(DIM, `span_id=${escapeText(ids.span_id)}`)}`
			return `${out}\n${below}`
		},
		fallback(time, level, name, ids, error) {
			try {
				const cid = ids.correlation_id === undefined ? '' : ` [${escapeText(ids.correlation_id)}]`
				const reason = escapeText(redactString(error instanceof Error ? error.message : String(error)))
				return `${localClock(time)} ${label(level)} ${name}${cid} log line could not be formatted: ${reason}\n`
			} catch {
				return 'ERROR    log line could not be formatted\n'
			}
		},
	}
}
