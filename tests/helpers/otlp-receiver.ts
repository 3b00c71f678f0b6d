/**
 * A local OTLP/HTTP trace receiver on Bun.serve, for tests that export real spans with the
 * official OpenTelemetry exporters: it decodes `http/protobuf` and `http/json` request bodies
 * with the OpenTelemetry protocol definitions (the `.proto` files), never with code of ours
 * that mirrors the encoding.
 *
 * The current OpenTelemetry JS packages ship neither the `.proto` files nor a request decoder
 * (their serializers only encode requests and decode responses). The most recent official
 * package that ships the definitions as files is `@opentelemetry/otlp-grpc-exporter-base`
 * 0.38.0 (`build/protos/…`, a path inside the package rather than an entry point; a dev
 * dependency used for nothing else), loaded here with `protobufjs`' public API. Both formats
 * go through the same message type: protobuf bytes with `decode`; JSON checked with `verify`
 * and built with `fromObject`, after the OTLP/JSON specifics (hex IDs, 64-bit integers as
 * strings) are mapped by walking the type's fields; then one `toObject` for both.
 */
import { dirname, join } from 'node:path'
import protobuf from 'protobufjs'

const PROTO_ROOT = join(
	dirname(Bun.resolveSync('@opentelemetry/otlp-grpc-exporter-base/package.json', import.meta.dir)),
	'build',
	'protos',
)

const root = new protobuf.Root()
root.resolvePath = (_origin, target) => join(PROTO_ROOT, target)
root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto')
const RequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')
const ResponseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse')

export type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue }

export type DecodedKind = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER'
const KINDS: readonly DecodedKind[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const

/** One span as the collector received it, with its resource and scope. */
export interface DecodedSpan {
	traceId: string
	spanId: string
	parentSpanId: string | undefined
	traceState: string | undefined
	name: string
	kind: DecodedKind
	startTimeUnixNano: bigint
	endTimeUnixNano: bigint
	attributes: Record<string, AttributeValue>
	status: { code: (typeof STATUS_CODES)[number]; message: string | undefined }
	events: { name: string; attributes: Record<string, AttributeValue> }[]
	resource: Record<string, AttributeValue>
	scope: { name: string; version: string | undefined }
}

export type ReceivedProtocol = 'http/protobuf' | 'http/json'

/** One export request. */
export interface ReceivedExport {
	protocol: ReceivedProtocol
	path: string
	headers: Headers
	spans: DecodedSpan[]
}

export interface OtlpReceiverOptions {
	/**
	 * The answer to the n-th export (1-based), e.g. a never-settling promise for a hung collector
	 * or a 503. Default: a success. The request is decoded and recorded before this is called.
	 */
	respond?: (n: number, received: ReceivedExport) => Response | Promise<Response> | undefined
}

export interface OtlpReceiver {
	/** The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
	readonly url: string
	/** `url` + `/v1/traces`. */
	readonly tracesUrl: string
	readonly exports: ReceivedExport[]
	/** Bodies that did not decode, with why (a test expects none). */
	readonly rejected: string[]
	/** Every span received so far, in arrival order. */
	spans(): DecodedSpan[]
	/** Resolves once at least `count` spans have arrived; rejects after `timeoutMs`. */
	waitForSpans(count: number, timeoutMs?: number): Promise<DecodedSpan[]>
	/** Resolves once at least `count` export requests have arrived (answered or not). */
	waitForExports(count: number, timeoutMs?: number): Promise<ReceivedExport[]>
	stop(): Promise<void>
}

const hex = (bytes: Uint8Array | undefined) => (bytes === undefined ? '' : Buffer.from(bytes).toString('hex'))

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])
/** OTLP/JSON's exception to the protobuf JSON mapping: these bytes fields are hex, not base64. */
const HEX_ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId'])

/**
 * Brings an OTLP/JSON object to what the protobuf message type accepts, walking the type's own
 * fields: hex IDs to bytes, 64-bit integers sent as decimal strings to Longs. Unknown fields
 * are dropped, as OTLP receivers must ignore them.
 */
function fromOtlpJson(type: protobuf.Type, json: unknown): unknown {
	if (json === null || typeof json !== 'object' || Array.isArray(json)) return json
	const out: Record<string, unknown> = {}
	for (const [key, value] of Object.entries(json)) {
		const field = type.fields[key]
		if (field === undefined) continue
		const one = (v: unknown): unknown => {
			if (field.resolvedType instanceof protobuf.Type) return fromOtlpJson(field.resolvedType, v)
			if (field.type === 'bytes' && HEX_ID_FIELDS.has(key) && typeof v === 'string')
				return /^(?:[0-9a-f]{2})*$/i.test(v) ? Uint8Array.from(Buffer.from(v, 'hex')) : v
			if (LONG_TYPES.has(field.type) && typeof v === 'string' && /^-?\d+$/.test(v))
				return protobuf.util.LongBits.from(v).toLong(field.type.startsWith('u') || field.type === 'fixed64')
			return v
		}
		out[key] = field.repeated && Array.isArray(value) ? value.map(one) : one(value)
	}
	return out
}

function anyValue(v: any): AttributeValue {
	if (v === undefined || v === null) return ''
	if ('stringValue' in v) return v.stringValue
	if ('boolValue' in v) return v.boolValue
	if ('intValue' in v) return Number(v.intValue)
	if ('doubleValue' in v) return v.doubleValue
	if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue)
	if ('kvlistValue' in v) return attributes(v.kvlistValue.values)
	if ('bytesValue' in v) return hex(v.bytesValue)
	return ''
}

function attributes(list: any[] | undefined): Record<string, AttributeValue> {
	const out: Record<string, AttributeValue> = {}
	for (const kv of list ?? []) out[kv.key] = anyValue(kv.value)
	return out
}

function flatten(message: protobuf.Message): DecodedSpan[] {
	const request = RequestType.toObject(message, { longs: String, enums: Number, arrays: true, defaults: false }) as any
	const spans: DecodedSpan[] = []
	for (const rs of request.resourceSpans) {
		const resource = attributes(rs.resource?.attributes)
		for (const ss of rs.scopeSpans ?? []) {
			const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version || undefined }
			for (const s of ss.spans ?? []) {
				spans.push({
					traceId: hex(s.traceId),
					spanId: hex(s.spanId),
					parentSpanId: s.parentSpanId?.length ? hex(s.parentSpanId) : undefined,
					traceState: s.traceState || undefined,
					name: s.name ?? '',
					kind: KINDS[s.kind ?? 0] ?? 'UNSPECIFIED',
					startTimeUnixNano: BigInt(s.startTimeUnixNano ?? 0),
					endTimeUnixNano: BigInt(s.endTimeUnixNano ?? 0),
					attributes: attributes(s.attributes),
					status: { code: STATUS_CODES[s.status?.code ?? 0] ?? 'UNSET', message: s.status?.message || undefined },
					events: (s.events ?? []).map((e: any) => ({ name: e.name, attributes: attributes(e.attributes) })),
					resource,
					scope,
				})
			}
		}
	}
	return spans
}

/** Decodes one request body with the protocol definitions; throws when it does not fit them. */
export function decodeExportRequest(
	body: Uint8Array,
	contentType: string,
): { protocol: ReceivedProtocol; spans: DecodedSpan[] } {
	if (contentType.startsWith('application/x-protobuf'))
		return { protocol: 'http/protobuf', spans: flatten(RequestType.decode(body)) }
	if (contentType.startsWith('application/json')) {
		const json = fromOtlpJson(RequestType, JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)))
		const problem = RequestType.verify(json as Record<string, unknown>)
		if (problem) throw new Error(`not an ExportTraceServiceRequest: ${problem}`)
		return { protocol: 'http/json', spans: flatten(RequestType.fromObject(json as Record<string, unknown>)) }
	}
	throw new Error(`unsupported content type ${contentType}`)
}

function success(protocol: ReceivedProtocol): Response {
	return protocol === 'http/json'
		? Response.json(ResponseType.toObject(ResponseType.create({})))
		: new Response(ResponseType.encode(ResponseType.create({})).finish(), {
				headers: { 'content-type': 'application/x-protobuf' },
			})
}

/** Waiters resolved when a count is reached, or rejected at their deadline. */
function waiters<T>(current: () => T[], what: string) {
	const pending: { count: number; resolve: (v: T[]) => void }[] = []
	return {
		notify() {
			for (const w of pending.splice(0)) {
				if (current().length >= w.count) w.resolve(current())
				else pending.push(w)
			}
		},
		wait(count: number, timeoutMs = 10_000): Promise<T[]> {
			if (current().length >= count) return Promise.resolve(current())
			return new Promise((resolve, reject) => {
				const timer = setTimeout(
					() => reject(new Error(`expected ${count} ${what}, got ${current().length} within ${timeoutMs} ms`)),
					timeoutMs,
				)
				pending.push({
					count,
					resolve: (v) => {
						clearTimeout(timer)
						resolve(v)
					},
				})
			})
		},
	}
}

export function startOtlpReceiver(options: OtlpReceiverOptions = {}): OtlpReceiver {
	const exports: ReceivedExport[] = []
	const rejected: string[] = []
	const spans = () => exports.flatMap((e) => e.spans)
	const spanWaiters = waiters(spans, 'spans')
	const exportWaiters = waiters(() => exports, 'export requests')

	const server = Bun.serve({
		hostname: '127.0.0.1',
		port: 0,
		async fetch(request) {
			const path = new URL(request.url).pathname
			if (request.method !== 'POST') return new Response(null, { status: 405 })
			let body = new Uint8Array(await request.arrayBuffer())
			if (request.headers.get('content-encoding') === 'gzip') body = Bun.gunzipSync(body)
			let decoded: ReturnType<typeof decodeExportRequest>
			try {
				decoded = decodeExportRequest(body, request.headers.get('content-type') ?? '')
			} catch (error) {
				rejected.push(String(error))
				return new Response(String(error), { status: 400 })
			}
			const received: ReceivedExport = { ...decoded, path, headers: request.headers }
			exports.push(received)
			exportWaiters.notify()
			spanWaiters.notify()
			return (await options.respond?.(exports.length, received)) ?? success(received.protocol)
		},
	})
	const url = `http://127.0.0.1:${server.port}`
	return {
		url,
		tracesUrl: `${url}/v1/traces`,
		exports,
		rejected,
		spans,
		waitForSpans: spanWaiters.wait,
		waitForExports: exportWaiters.wait,
		stop: () => server.stop(true),
	}
}
