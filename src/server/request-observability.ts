/**
 * Per-request observability as one Elysia plugin, on Elysia's public lifecycle (README
 * "Observability"): the correlation ID, the request's async log context, the in-flight
 * gauge, the JSON error body, the HTTP metrics, the access line and the request's span. Route
 * handlers receive `correlationId`, `traceId`, `spanId` and `log` (a logger bound to the
 * request) in their context, typed:
 *
 * ```ts
 * app.use(requestObservability({ metrics, logger })).get('/x', ({ correlationId, log }) => …)
 * ```
 *
 * The hooks, in the order Elysia runs them:
 * - `onRequest` resolves the IDs (correlation ID, and the W3C trace: an inbound
 *   `traceparent` continued, else a new one; the SERVER span starts here), starts the clock
 *   and puts the two correlation headers on `set.headers`, which Elysia applies to every
 *   response: handler values, returned `Response` objects, errors and unknown routes alike.
 * - `derive` hands the handler its context. It is asynchronous on purpose: Elysia awaits
 *   it, so the rest of the request runs in an async continuation of its own, and
 * - `onBeforeHandle` enters the request's async context there, for the handler and
 *   everything it awaits (services, the database layer), without it ever reaching
 *   whoever called `app.handle()`.
 * - `onError` renders every error as the JSON body with the ID, answers requests no route
 *   handled (404, 405, `OPTIONS`; ./unrouted.ts) and notes the final status.
 * - `onAfterResponse` counts, times and logs the request, once, from its final status, and
 *   ends its span.
 *   Not `onAfterHandle`: Elysia skips that hook for errors, unknown routes and parse and
 *   validation failures, while `onAfterResponse` runs for every request (after the
 *   response is handed to the server, so the recorded duration includes sending it).
 */
import { Elysia, StatusMap } from 'elysia'
import type { LogLayer } from 'loglayer'
import type { ApiMetrics } from '../observability/api-metrics'
import { enterContext, type ParentSpan, type RequestContext } from '../observability/context'
import { CORRELATION_HEADER, isValidCorrelationId } from '../observability/correlation'
import { idsContext, requestLogger } from '../observability/logger'
import { traceExemplar } from '../observability/metrics'
import { readTraceContext } from '../observability/trace-context'
import { disabledTracing, type HttpServerSpan, type Tracing } from '../observability/tracing'
import type { CorsPolicy } from './cors'
import { type Answer, errorAnswer } from './errors'
import type { RouteTable } from './route-table'
import { answerUnrouted } from './unrouted'
import { pathOf } from './url-path'

export const UNMATCHED_ENDPOINT = 'unmatched'
export const OTHER_METHOD = 'OTHER'
const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const MAX_LOGGED_PATH = 256
const EXPOSE_HEADER = 'access-control-expose-headers'
const EXPOSED = 'X-Correlation-ID'

// Status label strings for every valid code, so recording never formats a number.
const STATUS_LABELS: string[] = []
for (let code = 100; code < 600; code++) STATUS_LABELS[code] = String(code)

/** What the plugin keeps per request; it is also the request's async log context. */
class RequestState implements RequestContext {
	/** The route template that served the request, when one did. */
	route: string | undefined = undefined
	/** The status of the response rendered by the error hook. */
	status: number | undefined = undefined
	/** The error Elysia handled, for the `error` field of a 5xx access line. */
	error: unknown = undefined
	readonly traceId: string
	readonly spanId: string
	/** The request's SERVER span as the parent of what it causes (database statements). */
	readonly span: ParentSpan

	constructor(
		readonly correlationId: string,
		/** Monotonic milliseconds at arrival. */
		readonly start: number,
		/** The request's SERVER span (recorded only when tracing exports and samples). */
		readonly serverSpan: HttpServerSpan,
		/** The handler's `log`: bound to the request, every line it writes carries its IDs. */
		readonly log: LogLayer,
	) {
		this.traceId = serverSpan.traceId
		this.spanId = serverSpan.spanId
		this.span = serverSpan.context
	}
}

export interface RequestObservabilityOptions {
	metrics: ApiMetrics
	/** Parent of each request's logger; the access line is written as it (`api.http`). */
	logger: LogLayer
	/** Monotonic milliseconds (default `performance.now`). */
	clock?: () => number
	/** The app's routes, to answer 405 and `OPTIONS` for paths it serves (default: 404 only). */
	routes?: RouteTable
	/** Origins granted in preflight answers (see ./cors.ts). */
	cors?: CorsPolicy
	/** Spans of requests (default: none exported, IDs only). */
	tracing?: Tracing
}

function loggedPath(url: string): string {
	const path = pathOf(url)
	return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path
}

/** The status Elysia sent for a value the handler returned (or a status it set). */
function sentStatus(value: unknown, set: { status?: number | string }): number {
	if (value instanceof Response) return value.status
	const status = set.status
	if (typeof status === 'number') return status
	return (status !== undefined && (StatusMap as Record<string, number>)[status]) || 200
}

/** Creates the request observability plugin; register it before every route. */
export function requestObservability(options: RequestObservabilityOptions) {
	const { metrics, logger, routes, cors } = options
	const tracing = options.tracing ?? disabledTracing
	const clock = options.clock ?? performance.now.bind(performance)
	const inFlight = metrics.httpInFlight
	// Keyed by the request object Elysia hands every hook; gone with the request.
	const states = new WeakMap<Request, RequestState>()

	/**
	 * The request's IDs (README "Correlation IDs", "Tracing"): a valid inbound `traceparent`
	 * is continued with a new span; the correlation ID is a valid `X-Correlation-ID`, else
	 * that trace's ID, else a new UUID v4. Rejected values are logged by length only.
	 */
	function begin(request: Request): RequestState {
		const headers = request.headers
		const inbound = headers.get(CORRELATION_HEADER)
		const accepted = inbound !== null && isValidCorrelationId(inbound)
		const trace = readTraceContext(headers)
		const span = tracing.startHttpServerSpan({ method: request.method, url: request.url, parent: trace.parent })
		const id = accepted ? inbound : (trace.parent?.traceId ?? crypto.randomUUID())
		const ids = { correlationId: id, traceId: span.traceId, spanId: span.spanId }
		const state = new RequestState(id, clock(), span, requestLogger(logger, ids))
		states.set(request, state)
		inFlight.inc()
		if (inbound !== null && !accepted) rejected(ids, 'Invalid X-Correlation-ID replaced', inbound.length)
		if (trace.traceparent.verdict === 'rejected')
			rejected(ids, 'Invalid traceparent ignored; a new trace started', trace.traceparent.rejectedLength)
		if (trace.tracestate.verdict === 'rejected')
			rejected(ids, 'Invalid tracestate ignored', trace.tracestate.rejectedLength)
		return state
	}

	function rejected(ids: { correlationId: string }, event: string, length: number): void {
		logger.raw({
			logLevel: 'warn',
			messages: [event],
			metadata: { rejected_length: length },
			context: idsContext(ids),
		})
	}

	/** The request's state; begun here should a request reach a hook without onRequest. */
	const stateOf = (request: Request) => states.get(request) ?? begin(request)

	/** Counts, times and logs one finished request. Never throws. */
	function record(state: RequestState, request: Request, status: number): void {
		try {
			const seconds = (clock() - state.start) / 1000
			const method = STANDARD_METHODS.has(request.method) ? request.method : OTHER_METHOD
			const endpoint = state.route || UNMATCHED_ENDPOINT
			inFlight.dec()
			metrics.httpRequests.labels(method, endpoint, STATUS_LABELS[status] ?? 'other').inc()
			metrics.httpDuration
				.labels(method, endpoint)
				.observe(seconds, traceExemplar(state.traceId, state.spanId, state.correlationId))
			state.serverSpan.end({ status, route: state.route, error: status >= 500 ? state.error : undefined })
			const level = status >= 500 ? 'error' : status < 400 && endpoint.startsWith('/health') ? 'debug' : 'info'
			if (!logger.isLevelEnabled(level)) return
			const fields = {
				method,
				path: loggedPath(request.url),
				endpoint,
				status,
				duration_ms: Math.round(seconds * 1e6) / 1000,
			}
			// The request's IDs as the line's context: errors raised before the handler never
			// entered the request's async context.
			logger.raw({
				logLevel: level,
				messages: [level === 'error' ? 'Request failed' : 'Request completed'],
				metadata: fields,
				error: level === 'error' ? (state.error ?? new Error(`HTTP ${status}`)) : undefined,
				context: idsContext(state),
			})
		} catch {
			// Recording must never fail a request.
		}
	}

	return new Elysia({ name: 'byte.request-observability' })
		.onRequest(function beginRequest({ request, set }) {
			const state = begin(request)
			set.headers[CORRELATION_HEADER] = state.correlationId
			set.headers[EXPOSE_HEADER] = EXPOSED
		})
		.derive({ as: 'global' }, async function requestContext({ request }) {
			const state = stateOf(request)
			return { correlationId: state.correlationId, traceId: state.traceId, spanId: state.spanId, log: state.log }
		})
		.onBeforeHandle({ as: 'global' }, function enterRequestContext({ request, route }) {
			const state = stateOf(request)
			state.route = route
			enterContext(state)
		})
		.onError({ as: 'global' }, function renderError({ request, code, error, route, set }) {
			const state = stateOf(request)
			state.error = error
			if (route) state.route = route
			let answer: Answer
			if (code === 'NOT_FOUND' && !route) {
				const unrouted = answerUnrouted(request, state.correlationId, routes, cors)
				state.route = unrouted.template
				answer = unrouted.answer
			} else {
				// Refused before routing (API authentication): counted under the path's template.
				if (!state.route) state.route = routes?.match(pathOf(request.url))?.template
				answer = errorAnswer(code, error, state.correlationId)
			}
			state.status = answer.status
			// Through `set`, so Elysia makes one Response with the headers set earlier; a
			// Response returned here would be copied, body stream and all, to add them.
			set.status = answer.status
			if (answer.headers !== undefined) Object.assign(set.headers, answer.headers)
			return answer.body ?? ''
		})
		.onAfterResponse({ as: 'global' }, function recordRequest({ request, responseValue, set }) {
			const state = states.get(request)
			if (state === undefined) return
			states.delete(request)
			record(state, request, state.status ?? sentStatus(responseValue, set))
		})
}
