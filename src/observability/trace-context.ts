/**
 * W3C Trace Context (the `traceparent` and `tracestate` headers), as the W3C Recommendation
 * specifies them (README "Tracing (W3C Trace Context, OpenTelemetry)"): parsing of inbound
 * headers, formatting of outbound ones, and random trace and span IDs.
 *
 * Nothing here keeps an invalid value: a rejected header is reported by its length only, so
 * a hostile value can never reach a log line, a span or a response. No dependencies; the
 * OpenTelemetry import is a type, so {@link TraceState} can serve as a span's trace state.
 */
import type { TraceState as OtelTraceState } from '@opentelemetry/api'

export const TRACEPARENT_HEADER = 'traceparent'
export const TRACESTATE_HEADER = 'tracestate'

/** What became of an inbound header: `ignored` is a `tracestate` left unread because `traceparent` was unusable. */
export type HeaderVerdict = 'accepted' | 'absent' | 'rejected' | 'ignored'

/** The fields of a valid `traceparent` that this version of the format defines. */
export interface TraceParent {
	/** 32 lower-case hex characters, not all zero. */
	readonly traceId: string
	/** The caller's span: 16 lower-case hex characters, not all zero. */
	readonly parentId: string
	/** The sampled flag (bit 0 of `trace-flags`): the caller may have recorded this trace. */
	readonly sampled: boolean
}

/** The outcome of reading one header; `value` is set only when the header was accepted. */
export interface ParsedHeader<T> {
	readonly value: T | undefined
	readonly verdict: HeaderVerdict
	/** Length of a rejected or ignored header; the value itself is never kept. */
	readonly rejectedLength: number
}

const ABSENT: ParsedHeader<never> = Object.freeze({ value: undefined, verdict: 'absent', rejectedLength: 0 })

function rejected(header: string, verdict: 'rejected' | 'ignored' = 'rejected'): ParsedHeader<never> {
	return { value: undefined, verdict, rejectedLength: header.length }
}

// Optional whitespace (RFC 9110 OWS): what an HTTP layer may leave around a field value.
const isOws = (c: number) => c === 0x20 || c === 0x09

function trimOws(s: string): string {
	let start = 0
	let end = s.length
	while (start < end && isOws(s.charCodeAt(start))) start++
	while (end > start && isOws(s.charCodeAt(end - 1))) end--
	return start === 0 && end === s.length ? s : s.slice(start, end)
}

/** True when `s[from, from + count)` is lower-case hex (the format's HEXDIGLC). */
function isLowerHex(s: string, from: number, count: number): boolean {
	for (let i = from; i < from + count; i++) {
		const c = s.charCodeAt(i)
		if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false
	}
	return true
}

function isAllZero(s: string, from: number, count: number): boolean {
	for (let i = from; i < from + count; i++) if (s.charCodeAt(i) !== 0x30) return false
	return true
}

/** `00-` + 32 + `-` + 16 + `-` + 2: the length of a version 00 value. */
const TRACEPARENT_LENGTH = 55
// The three fields every version shares, then the end (version 00) or, for higher versions, a
// `-` and fields this version does not define. Compiled once; linear, nothing to backtrack.
const VERSION_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/
const HIGHER_VERSION = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/**
 * Reads a `traceparent` header. Version `00` must be exactly `00-{trace-id}-{parent-id}-{flags}`
 * in lower-case hex; a higher version is read as the Recommendation's versioning rules say (its
 * first three fields as in `00`, then the end of the value or a `-` and fields this version
 * does not know, which are not read); version `ff`, an all-zero trace ID or parent ID, and
 * anything else are rejected. Optional whitespace around the value is ignored; two headers
 * joined with a comma are rejected (their combined value never parses).
 */
export function parseTraceParent(header: string | null | undefined): ParsedHeader<TraceParent> {
	if (header === null || header === undefined) return ABSENT
	const v = trimOws(header)
	const valid =
		v.length === TRACEPARENT_LENGTH && v.charCodeAt(0) === 0x30 && v.charCodeAt(1) === 0x30
			? VERSION_00.test(v)
			: v.length >= TRACEPARENT_LENGTH && !v.startsWith('00') && !v.startsWith('ff') && HIGHER_VERSION.test(v)
	if (!valid) return rejected(header)
	const traceId = v.slice(3, 35)
	const parentId = v.slice(36, 52)
	if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return rejected(header)
	// The sampled flag is bit 0 of the flags byte, i.e. of its second hex digit.
	const low = v.charCodeAt(54)
	const sampled = ((low <= 0x39 ? low - 0x30 : low - 0x57) & 1) === 1
	return { value: { traceId, parentId, sampled }, verdict: 'accepted', rejectedLength: 0 }
}

/**
 * The `traceparent` for a request made on behalf of `span`: version `00`, the span's trace ID,
 * its span ID as the parent ID, and only the sampled flag (the format tells senders to send the
 * flags it does not define as zero). The IDs must be valid ones (see {@link isValidTraceId}).
 */
export function formatTraceParent(span: {
	readonly traceId: string
	readonly spanId: string
	readonly sampled: boolean
}) {
	return `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`
}

export function isValidTraceId(id: string): boolean {
	return id.length === 32 && isLowerHex(id, 0, 32) && !isAllZero(id, 0, 32)
}

export function isValidSpanId(id: string): boolean {
	return id.length === 16 && isLowerHex(id, 0, 16) && !isAllZero(id, 0, 16)
}

// ---------------------------------------------------------------------------------------------
// tracestate

/** At most this many list-members; a longer list is invalid. */
export const TRACESTATE_MAX_MEMBERS = 32
/** What {@link TraceState.serialize} keeps at most: the length every vendor should propagate. */
export const TRACESTATE_MAX_LENGTH = 512
/** Entries longer than this go first when a `tracestate` must be shortened. */
const TRACESTATE_LONG_ENTRY = 128

// key = simple-key / multi-tenant-key, as the Recommendation's ABNF defines them.
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/
const MULTI_TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/
// value = 0*255(chr) nblk-chr: printable ASCII except `,` and `=`, not ending in a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

export function isValidTraceStateKey(key: string): boolean {
	return SIMPLE_KEY.test(key) || MULTI_TENANT_KEY.test(key)
}

export function isValidTraceStateValue(value: string): boolean {
	return VALUE.test(value)
}

type Entry = readonly [key: string, value: string]

/**
 * A valid `tracestate`: its list-members in order, left-most first. Immutable; `set` and `unset`
 * return a new one, as OpenTelemetry's `TraceState` interface asks, so it can be a span's trace
 * state and is serialized by the exporter like any other.
 */
export class TraceState implements OtelTraceState {
	static readonly EMPTY = new TraceState([])

	private constructor(readonly entries: readonly Entry[]) {}

	/** @internal Entries already validated by {@link parseTraceState}. */
	static fromValidEntries(entries: readonly Entry[]): TraceState {
		return entries.length === 0 ? TraceState.EMPTY : new TraceState(entries)
	}

	get(key: string): string | undefined {
		for (const [k, v] of this.entries) if (k === key) return v
		return undefined
	}

	/**
	 * A copy with `key` set to `value` as its left-most entry (the entry of whoever changed it
	 * last); the right-most entry goes when the list would exceed 32. An invalid key or value
	 * leaves the state as it is.
	 */
	set(key: string, value: string): TraceState {
		if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return this
		const rest = this.entries.filter(([k]) => k !== key)
		return new TraceState([[key, value] as const, ...rest].slice(0, TRACESTATE_MAX_MEMBERS))
	}

	unset(key: string): TraceState {
		return this.get(key) === undefined ? this : TraceState.fromValidEntries(this.entries.filter(([k]) => k !== key))
	}

	/**
	 * The header value to send, at most 512 characters: when the whole list is longer, whole
	 * entries are removed, those over 128 characters first, then from the right, as the
	 * Recommendation asks. An empty state serializes to `''` (send no header then).
	 */
	serialize(): string {
		let kept = this.entries.map(([k, v]) => `${k}=${v}`)
		const length = () => kept.reduce((n, e) => n + e.length, 0) + Math.max(0, kept.length - 1)
		if (length() > TRACESTATE_MAX_LENGTH) {
			kept = kept.filter((e) => e.length <= TRACESTATE_LONG_ENTRY)
			while (length() > TRACESTATE_MAX_LENGTH) kept.pop()
		}
		return kept.join(',')
	}
}

/**
 * Reads a `tracestate` header (several headers joined with commas, as HTTP combines them, are
 * one list). Empty and whitespace-only list-members are allowed and skipped. The whole header is
 * rejected when any member is malformed (key or value outside the grammar), a key repeats, or
 * there are more than 32 members: a list that cannot be propagated faithfully is dropped, not
 * repaired. An accepted header may be empty.
 *
 * Call it only with a valid `traceparent` ({@link readTraceContext} does so).
 */
export function parseTraceState(header: string | null | undefined): ParsedHeader<TraceState> {
	if (header === null || header === undefined) return ABSENT
	const entries: Entry[] = []
	let start = 0
	while (start <= header.length) {
		let end = header.indexOf(',', start)
		if (end === -1) end = header.length
		const member = trimOws(header.slice(start, end))
		start = end + 1
		if (member === '') continue
		if (entries.length === TRACESTATE_MAX_MEMBERS) return rejected(header)
		const eq = member.indexOf('=')
		if (eq <= 0) return rejected(header)
		const key = member.slice(0, eq)
		const value = member.slice(eq + 1)
		if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return rejected(header)
		for (let i = 0; i < entries.length; i++) if ((entries[i] as Entry)[0] === key) return rejected(header)
		entries.push([key, value])
	}
	return { value: TraceState.fromValidEntries(entries), verdict: 'accepted', rejectedLength: 0 }
}

/** A remote parent read from inbound headers: the caller's span, and its `tracestate` when valid. */
export interface RemoteParent extends TraceParent {
	readonly traceState: TraceState | undefined
}

/** Both headers of a request, read together. */
export interface InboundTraceContext {
	/** The caller's span to continue; undefined when `traceparent` was absent or rejected (start a new trace). */
	readonly parent: RemoteParent | undefined
	readonly traceparent: ParsedHeader<TraceParent>
	readonly tracestate: ParsedHeader<TraceState>
}

const NO_TRACE_CONTEXT: InboundTraceContext = Object.freeze({
	parent: undefined,
	traceparent: ABSENT,
	tracestate: ABSENT,
})

/**
 * Reads `traceparent` and `tracestate` from request headers. `tracestate` is read only when
 * `traceparent` is valid (the Recommendation forbids reading it otherwise: it is then
 * `ignored`), and a bad `tracestate` never affects `traceparent`.
 */
export function readTraceContext(headers: { get(name: string): string | null }): InboundTraceContext {
	const rawParent = headers.get(TRACEPARENT_HEADER)
	const rawState = headers.get(TRACESTATE_HEADER)
	if (rawParent === null && rawState === null) return NO_TRACE_CONTEXT
	const traceparent = parseTraceParent(rawParent)
	if (traceparent.value === undefined) {
		return { parent: undefined, traceparent, tracestate: rawState === null ? ABSENT : rejected(rawState, 'ignored') }
	}
	const tracestate = parseTraceState(rawState)
	return { parent: { ...traceparent.value, traceState: tracestate.value }, traceparent, tracestate }
}

// ---------------------------------------------------------------------------------------------
// IDs

// Random bytes are drawn from the system CSPRNG a page at a time; each byte is used once.
const pool = new Uint8Array(4096)
const poolHex = Buffer.from(pool.buffer)
let poolOffset = pool.length

function randomHexId(bytes: number): string {
	for (;;) {
		if (poolOffset + bytes > pool.length) {
			crypto.getRandomValues(pool)
			poolOffset = 0
		}
		const start = poolOffset
		poolOffset += bytes
		// All-zero IDs are invalid; drawing one (a chance in 2^64 or less) just means drawing again.
		for (let i = start; i < poolOffset; i++) if (pool[i] !== 0) return poolHex.toString('hex', start, poolOffset)
	}
}

/** A random 16-byte trace ID (32 lower-case hex characters), never all zero. */
export function newTraceId(): string {
	return randomHexId(16)
}

/** A random 8-byte span ID (16 lower-case hex characters), never all zero. */
export function newSpanId(): string {
	return randomHexId(8)
}
