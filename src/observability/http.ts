/**
 * Per-request observability as one Elysia plugin: correlation ID, async log context,
 * in-flight gauge, the error body, HTTP metrics and the access log line.
 *
 * The concerns live in their own modules (correlation.ts, context.ts, api-metrics.ts,
 * http/errors.ts); they are wired here through three lifecycle hooks:
 * - onRequest runs for every request (also unknown routes and unparsable bodies), so
 *   the response header is set there rather than in `derive`.
 * - onError renders the JSON error with the correlation ID; it always returns a body.
 * - mapResponse runs once the final response value and status are known, on success
 *   and (because onError always returns a body) on every error path too. It may run
 *   twice when mapping the value itself throws, so it only queues the recording in a
 *   microtask, which then sees the final status. `onAfterResponse` would do the same
 *   but Elysia runs it through `setImmediate` and an async closure per request, ~1 µs
 *   of a ~7 µs request (README.md, "Performance"). Nothing recorded there may throw.
 */
import { Elysia } from 'elysia'
import type { LogLayer } from 'loglayer'
import { payloadTooLarge } from '../errors'
import { hasUndeclaredBody, limitBody } from '../http/body-limit'
import { toErrorResponse } from '../http/errors'
import type { ApiMetrics } from './api-metrics'
import { enterContext, type RequestContext } from './context'
import { CORRELATION_HEADER, isValidCorrelationId } from './correlation'
import { lineWriter } from './logger'

export const UNMATCHED_ENDPOINT = 'unmatched'
export const OTHER_METHOD = 'OTHER'
const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const MAX_LOGGED_PATH = 256
const EXPOSE_HEADERS = 'X-Correlation-ID'

// Status label strings for every valid code, so recording never formats a number.
const STATUS_LABELS: string[] = []
for (let code = 100; code < 600; code++) STATUS_LABELS[code] = String(code)

/** What the request hooks keep per request (also the async log context). */
export interface RequestState extends RequestContext {
	start: number
	error: unknown
	/** Set by the mapResponse hook, read once the request is recorded. */
	response?: Response | unknown
	request?: Request
	route?: string
	set?: { status?: number | string }
	/** True once the recording is queued. */
	finishing: boolean
}

export interface RequestObservabilityOptions {
	metrics: ApiMetrics
	/** Writes the access line (`logger: "api.http"`). */
	logger: LogLayer
	/** Monotonic milliseconds (default `performance.now`). */
	clock?: () => number
	/** Largest request body accepted, by Content-Length or counted as it arrives (default 1 MiB). */
	bodyLimitBytes?: number
	/** Switches for measuring what each part costs; all default to on. */
	features?: { metrics?: boolean; accessLog?: boolean }
}

const STATE = Symbol.for('byte.request-state')
type WithState = { [STATE]?: RequestState; correlationId: string }

export function statusOf(response: unknown, setStatus: unknown): number {
	if (response instanceof Response) return response.status
	return typeof setStatus === 'number' ? setStatus : 200
}

function pathOf(url: string): string {
	const start = url.indexOf('/', url.indexOf('//') + 2)
	if (start < 0) return '/'
	const query = url.indexOf('?', start)
	const path = query < 0 ? url.slice(start) : url.slice(start, query)
	return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path
}

/** Creates the request observability plugin (register it first, globally). */
export function requestObservability(options: RequestObservabilityOptions) {
	const { metrics, logger } = options
	const clock = options.clock ?? performance.now.bind(performance)
	const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024
	const recordMetrics = options.features?.metrics !== false
	const accessLog = options.features?.accessLog !== false
	const inFlight = metrics.httpInFlight
	const writeLine = lineWriter(logger)

	// Reads only what the hooks saved in `state`. Elysia compiles each route from what its
	// hooks' source text appears to use (sucrose): handing the context to a function or
	// `return ctx…` makes it parse cookies, query and headers on every route, and
	// `=> fn(` or `return fn(` marks a hook async. The hooks below avoid those shapes.
	function recordRequest(state: RequestState): void {
		try {
			const seconds = (clock() - state.start) / 1000
			const request = state.request as Request
			const method = STANDARD_METHODS.has(request.method) ? request.method : OTHER_METHOD
			const endpoint = state.route || UNMATCHED_ENDPOINT
			const status = statusOf(state.response, state.set?.status)
			if (recordMetrics) {
				inFlight.dec()
				metrics.httpRequests.labels(method, endpoint, STATUS_LABELS[status] ?? 'other').inc()
				metrics.httpDuration.labels(method, endpoint).observe(seconds, state.correlationId)
			}
			if (!accessLog) return
			const level = status >= 500 ? 'error' : status < 400 && endpoint.startsWith('/health') ? 'debug' : 'info'
			if (!logger.isLevelEnabled(level)) return
			const fields = {
				method,
				path: pathOf(request.url),
				endpoint,
				status,
				duration_ms: Math.round(seconds * 1e6) / 1000,
			}
			if (level === 'error')
				logger
					.withMetadata(fields)
					.withError(state.error ?? new Error(`HTTP ${status}`))
					.error('Request failed')
			else writeLine(level, 'Request completed', fields)
		} catch {
			// Recording must never fail a request, nor throw out of a microtask.
		}
	}

	const recordLater = (state: RequestState) => () => recordRequest(state)

	return (
		new Elysia({ name: 'byte.request-observability' })
			.decorate('correlationId', '')
			.onRequest(function observeRequest(ctx) {
				const inbound = ctx.request.headers.get(CORRELATION_HEADER)
				// Inline rather than resolveCorrelationId(): no result object per request.
				const id = inbound !== null && isValidCorrelationId(inbound) ? inbound : crypto.randomUUID()
				const state: RequestState = { correlationId: id, start: clock(), error: undefined, finishing: false }
				;(ctx as unknown as WithState)[STATE] = state
				;(ctx as unknown as WithState).correlationId = id
				ctx.set.headers[CORRELATION_HEADER] = id
				ctx.set.headers['access-control-expose-headers'] = EXPOSE_HEADERS
				enterContext(state)
				if (recordMetrics) inFlight.inc()
				if (inbound !== null && id !== inbound)
					logger.withMetadata({ rejected_length: inbound.length }).warn('Invalid X-Correlation-ID replaced')
				const length = ctx.request.headers.get('content-length')
				if (length !== null && Number(length) > bodyLimit) throw payloadTooLarge(bodyLimit)
				// Elysia's parser reads `ctx.request` later, so a counted copy takes its place.
				if (length === null && hasUndeclaredBody(ctx.request)) ctx.request = limitBody(ctx.request, bodyLimit)
			})
			.onError(function renderError(ctx) {
				const state = (ctx as unknown as WithState)[STATE]
				if (state) state.error = ctx.error
				return toErrorResponse(ctx.code, ctx.error, state?.correlationId ?? '', ctx.set)
			})
			// Hands the value back unchanged: Elysia's global error handler (unknown routes,
			// errors thrown in onRequest) sends whatever a mapResponse hook returns, even
			// undefined, while the other paths keep their value when the hook returns undefined.
			.mapResponse(function completeRequest(ctx) {
				const value = ctx.responseValue
				const state = (ctx as unknown as WithState)[STATE]
				if (state !== undefined) {
					state.response = value
					if (!state.finishing) {
						state.finishing = true
						state.request = ctx.request
						state.route = ctx.route
						state.set = ctx.set
						queueMicrotask(recordLater(state))
					}
				}
				// Elysia types hooks as returning a Response; any value passes through as is.
				return value as Response | undefined
			})
			.as('global')
	)
}
