/**
 * {@link Tracing} with export on: the official OpenTelemetry SDK (a TracerProvider of its
 * own, never registered globally), a BatchSpanProcessor and the OTLP/HTTP exporter for the
 * configured protocol. Loaded only when an endpoint is configured (./tracing.ts).
 *
 * Span attributes follow the stable HTTP and database semantic conventions. Error messages
 * and exception events are never recorded: a driver's message can quote parameter values.
 */
import {
	type Attributes,
	ROOT_CONTEXT,
	type Span,
	type SpanContext,
	SpanKind,
	SpanStatusCode,
	TraceFlags,
	trace,
} from '@opentelemetry/api'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import {
	AlwaysOffSampler,
	AlwaysOnSampler,
	BatchSpanProcessor,
	ParentBasedSampler,
	type ReadableSpan,
	type Sampler,
	type SpanExporter,
	TraceIdRatioBasedSampler,
	TracerProvider,
} from '@opentelemetry/sdk-trace'
import {
	ATTR_DB_OPERATION_NAME,
	ATTR_DB_QUERY_TEXT,
	ATTR_DB_RESPONSE_STATUS_CODE,
	ATTR_DB_SYSTEM_NAME,
	ATTR_ERROR_TYPE,
	ATTR_HTTP_REQUEST_METHOD,
	ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
	ATTR_HTTP_REQUEST_RESEND_COUNT,
	ATTR_HTTP_RESPONSE_STATUS_CODE,
	ATTR_HTTP_ROUTE,
	ATTR_SERVER_ADDRESS,
	ATTR_SERVER_PORT,
	ATTR_SERVICE_INSTANCE_ID,
	ATTR_SERVICE_NAME,
	ATTR_SERVICE_VERSION,
	ATTR_URL_FULL,
	ATTR_URL_PATH,
	ATTR_URL_SCHEME,
	DB_SYSTEM_NAME_VALUE_POSTGRESQL,
	ERROR_TYPE_VALUE_OTHER,
	HTTP_REQUEST_METHOD_VALUE_OTHER,
} from '@opentelemetry/semantic-conventions'
import { type ExportFailureReporter, exportFailureReporter } from './export-failures'
import { newSpanId, newTraceId } from './trace-context'
import type { OtlpExportConfig, SamplerConfig } from './tracing-config'
import {
	type DatabaseStatement,
	type HttpClientRequest,
	type HttpClientResult,
	type HttpClientSpan,
	type HttpServerRequest,
	type HttpServerResult,
	type HttpServerSpan,
	type InternalSpan,
	remoteSpanContext,
	type SpanStart,
	type Tracing,
	type TracingOptions,
} from './tracing'

const DB_OPERATIONS: ReadonlySet<string> = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])

function sampler(config: SamplerConfig): Sampler {
	const ratio = () => new TraceIdRatioBasedSampler(config.ratio)
	switch (config.name) {
		case 'always_on':
			return new AlwaysOnSampler()
		case 'always_off':
			return new AlwaysOffSampler()
		case 'traceidratio':
			return ratio()
		case 'parentbased_always_on':
			return new ParentBasedSampler({ root: new AlwaysOnSampler() })
		case 'parentbased_always_off':
			return new ParentBasedSampler({ root: new AlwaysOffSampler() })
		case 'parentbased_traceidratio':
			return new ParentBasedSampler({ root: ratio() })
	}
}

/**
 * Hands each batch to the real exporter on a later turn, and counts failures. The batching
 * processor exports a full batch from inside the `span.end()` that filled it; deferring keeps
 * the serialization and the request off that caller's stack.
 */
class ReportingExporter implements SpanExporter {
	constructor(
		private readonly inner: SpanExporter,
		private readonly failures: ExportFailureReporter,
	) {}

	export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
		setImmediate(() => {
			this.inner.export(spans, (result) => {
				if (result.code !== ExportResultCode.SUCCESS) this.failures.failed(spans.length, result.error)
				done(result)
			})
		})
	}

	shutdown(): Promise<void> {
		return this.inner.shutdown()
	}

	forceFlush(): Promise<void> {
		return this.inner.forceFlush?.() ?? Promise.resolve()
	}
}

/** The class name of what was thrown, as `error.type`; `_OTHER` when it has none. */
function errorTypeOf(error: unknown): string {
	if (error instanceof Error) return error.constructor.name || error.name || ERROR_TYPE_VALUE_OTHER
	return ERROR_TYPE_VALUE_OTHER
}

/** A PostgreSQL SQLSTATE (five digits or upper-case letters) carried by a driver error. */
function sqlState(error: unknown): string | undefined {
	const code = (error as { code?: unknown } | undefined)?.code
	return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/** Scheme and path of a request URL without parsing it (`url` is a well-formed absolute URL). */
function schemeAndPath(url: string): [scheme: string, path: string] {
	const colon = url.indexOf(':')
	const scheme = url.slice(0, colon)
	const slash = url.indexOf('/', colon + 3)
	if (slash === -1) return [scheme, '/']
	let end = url.length
	const query = url.indexOf('?', slash)
	const fragment = url.indexOf('#', slash)
	if (query !== -1) end = query
	if (fragment !== -1 && fragment < end) end = fragment
	return [scheme, url.slice(slash, end)]
}

class SdkSpan implements HttpServerSpan, HttpClientSpan, InternalSpan {
	readonly context: SpanContext
	readonly traceId: string
	readonly spanId: string
	readonly sampled: boolean

	constructor(
		readonly span: Span,
		private readonly kind: SpanKind,
		/** The method part of a SERVER span's name, completed with the route at the end. */
		private readonly method?: string,
	) {
		this.context = span.spanContext()
		this.traceId = this.context.traceId
		this.spanId = this.context.spanId
		this.sampled = (this.context.traceFlags & TraceFlags.SAMPLED) !== 0
	}

	/** Ends an HTTP SERVER or CLIENT span, or an internal one, by what the result holds. */
	end(result?: Partial<HttpServerResult & HttpClientResult>): void {
		const span = this.span
		if (!span.isRecording()) return
		if (result?.route !== undefined) {
			span.updateName(`${this.method} ${result.route}`)
			span.setAttribute(ATTR_HTTP_ROUTE, result.route)
		}
		const status = result?.status
		if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
		// SERVER spans fail on 5xx only (a 4xx is the client's mistake); CLIENT spans on any 4xx or 5xx.
		const threshold = this.kind === SpanKind.CLIENT ? 400 : 500
		let errorType: string | undefined
		if (status !== undefined && status >= threshold)
			errorType = result?.error !== undefined ? errorTypeOf(result.error) : String(status)
		else if (result?.errorType !== undefined) errorType = result.errorType
		else if (status === undefined && result?.error !== undefined) errorType = errorTypeOf(result.error)
		if (errorType !== undefined) {
			span.setAttribute(ATTR_ERROR_TYPE, errorType)
			span.setStatus({ code: SpanStatusCode.ERROR })
		}
		span.end()
	}
}

/**
 * Starts the SDK. Spans are exported in batches from timers; an unreachable or slow collector
 * costs callers nothing: its failures are counted for the failure line, and once the queue is
 * full new spans are dropped, never waited for.
 */
export function createExportingTracing(options: TracingOptions, config: OtlpExportConfig): Tracing {
	const tracing = options.config
	const exporterOptions = { url: config.url, headers: { ...config.headers }, timeoutMillis: options.exportTimeoutMs }
	const exporter =
		config.protocol === 'http/json'
			? new JsonTraceExporter(exporterOptions)
			: new ProtobufTraceExporter(exporterOptions)
	const failures = exportFailureReporter({ logger: options.logger, ...options.failureReport })
	const provider = new TracerProvider({
		resource: defaultResource().merge(
			resourceFromAttributes({
				[ATTR_SERVICE_NAME]: tracing.serviceName,
				[ATTR_SERVICE_VERSION]: options.serviceVersion,
				[ATTR_SERVICE_INSTANCE_ID]: options.instanceId ?? crypto.randomUUID(),
			}),
		),
		sampler: sampler(tracing.sampler),
		idGenerator: { generateTraceId: newTraceId, generateSpanId: newSpanId },
		spanProcessors: [
			new BatchSpanProcessor({
				exporter: new ReportingExporter(exporter, failures),
				scheduledDelayMillis: options.batch?.scheduledDelayMs,
				maxQueueSize: options.batch?.maxQueueSize,
				maxExportBatchSize: options.batch?.maxExportBatchSize,
			}),
		],
	})
	const tracer = provider.getTracer('byte', options.serviceVersion)
	const known = tracing.knownMethods

	/** `http.request.method` (+ `…_original` when unknown) and the method part of the span name. */
	const methodAttributes = (method: string, attributes: Attributes): string => {
		if (known.has(method)) {
			attributes[ATTR_HTTP_REQUEST_METHOD] = method
			return method
		}
		attributes[ATTR_HTTP_REQUEST_METHOD] = HTTP_REQUEST_METHOD_VALUE_OTHER
		attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method
		return 'HTTP'
	}

	const parentContext = (parent: SpanContext | undefined) =>
		parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent)

	const settle = async (work: Promise<unknown>, budgetMs: number): Promise<boolean> => {
		let timer: ReturnType<typeof setTimeout> | undefined
		const timeout = new Promise<boolean>((resolve) => {
			timer = setTimeout(() => resolve(false), budgetMs)
		})
		try {
			return await Promise.race([
				work.then(
					() => true,
					() => false,
				),
				timeout,
			])
		} finally {
			clearTimeout(timer)
		}
	}

	return {
		exporting: true,

		startHttpServerSpan(request: HttpServerRequest) {
			const attributes: Attributes = {}
			const name = methodAttributes(request.method, attributes)
			const [scheme, path] = schemeAndPath(request.url)
			attributes[ATTR_URL_SCHEME] = scheme
			attributes[ATTR_URL_PATH] = path
			const context = request.parent === undefined ? undefined : remoteSpanContext(request.parent)
			const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext(context))
			return new SdkSpan(span, SpanKind.SERVER, name)
		},

		startHttpClientSpan(request: HttpClientRequest) {
			const attributes: Attributes = {}
			const method = methodAttributes(request.method, attributes)
			const url = new URL(request.url)
			attributes[ATTR_URL_FULL] = `${url.protocol}//${url.host}${url.pathname}`
			attributes[ATTR_SERVER_ADDRESS] = url.hostname
			attributes[ATTR_SERVER_PORT] = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
			if (request.resendCount !== undefined && request.resendCount > 0)
				attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = request.resendCount
			const name = request.route === undefined ? method : `${method} ${request.route}`
			const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parentContext(request.parent))
			return new SdkSpan(span, SpanKind.CLIENT)
		},

		startSpan(name: string, start?: SpanStart) {
			const kind = start?.kind ?? SpanKind.INTERNAL
			const span = tracer.startSpan(name, { kind, attributes: start?.attributes }, parentContext(start?.parent))
			return new SdkSpan(span, kind)
		},

		recordDatabaseStatement(parent: SpanContext, statement: DatabaseStatement) {
			const end = performance.now()
			const operation =
				statement.operation !== undefined && DB_OPERATIONS.has(statement.operation) ? statement.operation : undefined
			const attributes: Attributes = {
				[ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
				[ATTR_DB_QUERY_TEXT]: statement.sql,
			}
			if (operation !== undefined) attributes[ATTR_DB_OPERATION_NAME] = operation
			// Named by the semantic conventions' fallbacks: the operation, else the database system.
			const span = tracer.startSpan(
				operation ?? DB_SYSTEM_NAME_VALUE_POSTGRESQL,
				{ kind: SpanKind.CLIENT, attributes, startTime: end - statement.seconds * 1000 },
				trace.setSpanContext(ROOT_CONTEXT, parent),
			)
			if (statement.error !== undefined && span.isRecording()) {
				const state = sqlState(statement.error)
				if (state !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, state)
				span.setAttribute(ATTR_ERROR_TYPE, state ?? errorTypeOf(statement.error))
				span.setStatus({ code: SpanStatusCode.ERROR })
			}
			span.end(end)
		},

		forceFlush: (budgetMs: number) => settle(provider.forceFlush({ timeoutMillis: budgetMs }), budgetMs),

		async shutdown(budgetMs: number) {
			const flushed = await settle(provider.shutdown(), budgetMs)
			failures.stop()
			return { flushed }
		},
	}
}
