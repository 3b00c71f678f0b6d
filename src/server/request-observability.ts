/**
 * Per-request observability as one Elysia plugin, on Elysia's public lifecycle (README
 * "Observability"): the correlation ID, the request's async log context, the in-flight
 * gauge, the JSON error body, the HTTP metrics and the access line. Route handlers receive
 * `correlationId` and `log` (a logger bound to the request) in their context, typed:
 *
 * ```ts
 * app.use(requestObservability({ metrics, logger })).get('/x', ({ correlationId, log }) => …)
 * ```
 *
 * The hooks, in the order Elysia runs them:
 * - `onRequest` resolves the ID, starts the clock and puts the two correlation headers on
 *   `set.headers`, which Elysia applies to every response: handler values, returned
 *   `Response` objects, errors and unknown routes alike.
 * - `derive` hands the handler its context. It is asynchronous on purpose: Elysia awaits
 *   it, so the rest of the request runs in an async continuation of its own, and
 * - `onBeforeHandle` enters the request's async context there, for the handler and
 *   everything it awaits (services, the database layer), without it ever reaching
 *   whoever called `app.handle()`.
 * - `onError` renders every error as the JSON body with the ID, answers requests no route
 *   handled (404, 405, `OPTIONS`; ./unrouted.ts) and notes the final status.
 * - `onAfterResponse` counts, times and logs the request, once, from its final status.
 *   Not `onAfterHandle`: Elysia skips that hook for errors, unknown routes and parse and
 *   validation failures, while `onAfterResponse` runs for every request (after the
 *   response is handed to the server, so the recorded duration includes sending it).
 */
import { Elysia, StatusMap } from 'elysia'
import type { LogLayer } from 'loglayer'
import type { ApiMetrics } from '../observability/api-metrics'
import { enterContext, type RequestContext } from '../observability/context'
import { CORRELATION_HEADER, isValidCorrelationId } from '../observability/correlation'
import { requestLogger } from '../observability/logger'
import type { CorsPolicy } from './cors'
import { errorResponse } from './errors'
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

	constructor(
		readonly correlationId: string,
		/** Monotonic milliseconds at arrival. */
		readonly start: number,
		/** The handler's `log`: bound to the request, every line it writes carries the ID. */
		readonly log: LogLayer,
	) {}
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
	const clock = options.clock ?? performance.now.bind(performance)
	const inFlight = metrics.httpInFlight
	// Keyed by the request object Elysia hands every hook; gone with the request.
	const states = new WeakMap<Request, RequestState>()

	function begin(request: Request): RequestState {
		const inbound = request.headers.get(CORRELATION_HEADER)
		const id = inbound !== null && isValidCorrelationId(inbound) ? inbound : crypto.randomUUID()
		const state = new RequestState(id, clock(), requestLogger(logger, { correlationId: id }))
		states.set(request, state)
		inFlight.inc()
		if (inbound !== null && id !== inbound)
			logger.raw({
				logLevel: 'warn',
				messages: ['Invalid X-Correlation-ID replaced'],
				metadata: { rejected_length: inbound.length },
				context: { correlation_id: id },
			})
		return state
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
			metrics.httpDuration.labels(method, endpoint).observe(seconds, state.correlationId)
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
				logLevel: level === 'error' ? 'error' : level === 'debug' ? 'debug' : 'info',
				messages: [level === 'error' ? 'Request failed' : 'Request completed'],
				metadata: fields,
				error: level === 'error' ? (state.error ?? new Error(`HTTP ${status}`)) : undefined,
				context: { correlation_id: state.correlationId },
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
			return { correlationId: state.correlationId, log: state.log }
		})
		.onBeforeHandle({ as: 'global' }, function enterRequestContext({ request, route }) {
			const state = stateOf(request)
			state.route = route
			enterContext(state)
		})
		.onError({ as: 'global' }, function renderError({ request, code, error, route }) {
			const state = stateOf(request)
			state.error = error
			if (route) state.route = route
			let response: Response
			if (code === 'NOT_FOUND' && !route) {
				const unrouted = answerUnrouted(request, state.correlationId, routes, cors)
				state.route = unrouted.template
				response = unrouted.response
			} else {
				// Refused before routing (API authentication): counted under the path's template.
				if (!state.route) state.route = routes?.match(pathOf(request.url))?.template
				response = errorResponse(code, error, state.correlationId)
			}
			state.status = response.status
			return response
		})
		.onAfterResponse({ as: 'global' }, function recordRequest({ request, responseValue, set }) {
			const state = states.get(request)
			if (state === undefined) return
			states.delete(request)
			record(state, request, state.status ?? sentStatus(responseValue, set))
		})
}
