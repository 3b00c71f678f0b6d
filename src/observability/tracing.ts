/**
 * Spans for requests, Discord events, outbound HTTP calls and database statements (README
 * "Tracing (W3C Trace Context, OpenTelemetry)"), behind one small {@link Tracing} interface.
 *
 * With export off (no endpoint, or `OTEL_SDK_DISABLED=true`) no SDK is loaded at all:
 * {@link disabledTracing} only draws IDs, so logs, exemplars and outbound `traceparent`
 * headers still get a trace ID and a span ID, and every span operation is a no-op. With an
 * endpoint, {@link createTracing} loads the OpenTelemetry SDK (./tracing-export.ts).
 *
 * No global context manager is registered: parents are passed explicitly (a span's
 * `context`, or a {@link RemoteParent} read from inbound headers), because the async context
 * of a request lives in one place only (./context.ts).
 */
import { type Attributes, type Span, type SpanContext, SpanKind, TraceFlags, trace } from '@opentelemetry/api'
import type { ILogLayer } from 'loglayer'
import { newSpanId, newTraceId, type RemoteParent } from './trace-context'
import type { TracingConfig } from './tracing-config'

export { SpanKind } from '@opentelemetry/api'

/**
 * A span started by {@link Tracing}: the OpenTelemetry span plus what log lines, exemplars
 * and outbound headers need. `formatTraceParent(started)` gives the `traceparent` of a request
 * made on its behalf.
 */
export interface StartedSpan {
	/** Records when exported and sampled; otherwise non-recording, every call a no-op. */
	readonly span: Span
	/** The span context, to parent children with (`startHttpClientSpan({ parent: s.context })`). */
	readonly context: SpanContext
	/** 32 lower-case hex characters: the caller's trace when one was continued, else new. */
	readonly traceId: string
	/** 16 lower-case hex characters, new for this span. */
	readonly spanId: string
	/**
	 * The sampled flag sent downstream: the sampler's decision when exporting; with export
	 * off, the parent's flag (passed through unchanged), false for a new trace.
	 */
	readonly sampled: boolean
}

/** One inbound HTTP request. */
export interface HttpServerRequest {
	/** The request method as received (`http.request.method`; unknown ones become `_OTHER`). */
	readonly method: string
	/** The full request URL (`request.url`): `url.scheme` and `url.path` come from it; the query is never recorded. */
	readonly url: string
	/** The caller's span from `readTraceContext(request.headers).parent`; absent → a new trace. */
	readonly parent?: RemoteParent
}

/** How an inbound request ended. */
export interface HttpServerResult {
	/** The final status sent (`http.response.status_code`); 5xx marks the span as an error. */
	readonly status: number
	/** The matched route template (`http.route`, and the span name `{method} {route}`); absent for paths no route serves. */
	readonly route?: string
	/** What was thrown, if anything: on a 5xx its class name becomes `error.type`. Its message is never recorded. */
	readonly error?: unknown
}

/** One outbound HTTP attempt. */
export interface HttpClientRequest {
	/** The span of the event or request making the call; absent → the attempt starts its own trace. */
	readonly parent?: SpanContext
	readonly method: string
	/** The URL requested: `url.full` without its query, fragment or credentials; `server.address`/`server.port`. */
	readonly url: string
	/** The route template called (e.g. `/api/guilds/:guildId`), for the span name `{method} {route}`. */
	readonly route?: string
	/** 0 for the first attempt, n for the n-th retry (`http.request.resend_count` when above 0). */
	readonly resendCount?: number
}

/** How an outbound attempt ended: a status, or why none came. */
export interface HttpClientResult {
	/** The response status (`http.response.status_code`); 4xx and 5xx mark the span as an error. */
	readonly status?: number
	/** A low-cardinality reason when no response came (e.g. `timeout`), as `error.type`. */
	readonly errorType?: string
}

/** A finished database statement, recorded after the fact with its measured duration. */
export interface DatabaseStatement {
	/** The statement text exactly as sent (parameterised: `$1`…, never the values): `db.query.text`. */
	readonly sql: string
	/** `SELECT`, `INSERT`, `UPDATE` or `DELETE` (`db.operation.name` and the span name); anything else is named `postgresql`. */
	readonly operation?: string
	readonly seconds: number
	/** A failure: its SQLSTATE (or class name) becomes `error.type`. Its message is never recorded. */
	readonly error?: unknown
}

/** Options of {@link Tracing.startSpan}. */
export interface SpanStart {
	/** Default: a new trace. */
	readonly parent?: SpanContext
	/** Default `INTERNAL`. */
	readonly kind?: SpanKind
	readonly attributes?: Attributes
}

export interface HttpServerSpan extends StartedSpan {
	end(result: HttpServerResult): void
}

export interface HttpClientSpan extends StartedSpan {
	end(result: HttpClientResult): void
}

export interface InternalSpan extends StartedSpan {
	/** Ends the span; an `error` marks it as failed, with its class name as `error.type`. */
	end(result?: { readonly error?: unknown }): void
}

/** What the processes call; one instance per process, made once at start-up. */
export interface Tracing {
	/** True when spans leave the process (an SDK with an OTLP exporter is running). */
	readonly exporting: boolean
	/** The SERVER span of one inbound request, continuing `request.parent`'s trace when given. */
	startHttpServerSpan(request: HttpServerRequest): HttpServerSpan
	/** The CLIENT span of one outbound attempt. */
	startHttpClientSpan(request: HttpClientRequest): HttpClientSpan
	/** Any other span, e.g. one per Discord event (`discord.event`, `discord.shard` as attributes). */
	startSpan(name: string, options?: SpanStart): InternalSpan
	/** A CLIENT span for a statement that just finished, child of `parent` (a no-op with export off). */
	recordDatabaseStatement(parent: SpanContext, statement: DatabaseStatement): void
	/** Exports what is buffered; false when that failed or took longer than `budgetMs`. */
	forceFlush(budgetMs: number): Promise<boolean>
	/**
	 * Flushes the buffer and stops exporting, waiting at most `budgetMs` (for SIGTERM, within
	 * the shutdown budget); `flushed` is false when spans may have been lost.
	 */
	shutdown(budgetMs: number): Promise<{ readonly flushed: boolean }>
}

/** A span nobody records: an ID pair for logs and headers, the OpenTelemetry span made on demand. */
class UnrecordedSpan implements HttpServerSpan, HttpClientSpan, InternalSpan {
	readonly context: SpanContext
	private wrapped: Span | undefined

	constructor(
		readonly traceId: string,
		readonly spanId: string,
		readonly sampled: boolean,
		traceState: SpanContext['traceState'],
	) {
		this.context = { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, traceState }
	}

	get span(): Span {
		this.wrapped ??= trace.wrapSpanContext(this.context)
		return this.wrapped
	}

	end(): void {}
}

function unrecorded(parent: { traceId: string; sampled: boolean; traceState?: SpanContext['traceState'] } | undefined) {
	return parent === undefined
		? new UnrecordedSpan(newTraceId(), newSpanId(), false, undefined)
		: new UnrecordedSpan(parent.traceId, newSpanId(), parent.sampled, parent.traceState)
}

function fromContext(parent: SpanContext | undefined) {
	return parent === undefined
		? undefined
		: {
				traceId: parent.traceId,
				sampled: (parent.traceFlags & TraceFlags.SAMPLED) !== 0,
				traceState: parent.traceState,
			}
}

/**
 * Tracing with export off: IDs only. Continued traces keep their sampled flag and trace state
 * unchanged (nothing here decides to record), new traces are sent as not sampled.
 */
export const disabledTracing: Tracing = Object.freeze({
	exporting: false,
	startHttpServerSpan: (request: HttpServerRequest) => unrecorded(request.parent),
	startHttpClientSpan: (request: HttpClientRequest) => unrecorded(fromContext(request.parent)),
	startSpan: (_name: string, options?: SpanStart) => unrecorded(fromContext(options?.parent)),
	recordDatabaseStatement: () => {},
	forceFlush: async () => true,
	shutdown: async () => ({ flushed: true }),
})

/** The span context of a remote parent read from `traceparent`/`tracestate`. */
export function remoteSpanContext(parent: RemoteParent): SpanContext {
	return {
		traceId: parent.traceId,
		spanId: parent.parentId,
		traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
		isRemote: true,
		traceState: parent.traceState,
	}
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
	/** From `parseTracingConfig(process.env, { serviceName })`. */
	readonly config: TracingConfig
	/** `service.version` (the package version). */
	readonly serviceVersion: string
	/** Where export failures are reported (at most one line a minute, with counts), e.g. `loggerFor(root, 'api.tracing')`. */
	readonly logger: ILogLayer
	/** `service.instance.id`; default a random UUID per process. */
	readonly instanceId?: string
	/** Per export request (default: the exporter's own, 10 s, or `OTEL_EXPORTER_OTLP_TIMEOUT`). */
	readonly exportTimeoutMs?: number
	/** Batching (defaults: the SDK's, 5 s delay, 2048 queued spans, 512 per export). */
	readonly batch?: {
		readonly scheduledDelayMs?: number
		readonly maxQueueSize?: number
		readonly maxExportBatchSize?: number
	}
	/** How export failures are reported: at most one line per `intervalMs` (default 60 000), checked every `checkEveryMs` (1000). */
	readonly failureReport?: {
		readonly intervalMs?: number
		readonly checkEveryMs?: number
		/** Milliseconds, for the interval (default `Date.now`). */
		readonly now?: () => number
	}
}

/**
 * The process's tracing: {@link disabledTracing} when nothing is exported, else the
 * OpenTelemetry SDK with a batching processor and the OTLP/HTTP exporter the configuration
 * names. Loaded on demand, so a process without an endpoint never imports the SDK.
 */
export async function createTracing(options: TracingOptions): Promise<Tracing> {
	if (options.config.export === undefined) return disabledTracing
	const { createExportingTracing } = await import('./tracing-export')
	return createExportingTracing(options, options.config.export)
}
