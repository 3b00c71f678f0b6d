/**
 * The shared HTTP client for calls between our processes (the bot → the API, and anything
 * else that calls HTTP): web-standard `fetch`, JSON in and out, the current correlation ID
 * and a W3C `traceparent` on every attempt, per-attempt timeouts, bounded retries with capped
 * exponential backoff and full jitter, request/response log lines, metrics hooks, a CLIENT
 * span per attempt when tracing exports, and typed errors.
 */
import { asError } from '../errors'
import type { SpanContext } from '@opentelemetry/api'
import type { ILogLayer } from 'loglayer'
import { currentCorrelationId, runWithContext } from '../observability/context'
import { type ExemplarLabels, traceExemplar } from '../observability/metrics'
import { formatTraceParent, TRACEPARENT_HEADER, TRACESTATE_HEADER } from '../observability/trace-context'
import { disabledTracing, type Tracing } from '../observability/tracing'
import {
	ApiBadResponseError,
	ApiConflictError,
	type ApiErrorDetails,
	ApiNotFoundError,
	ApiUnavailableError,
} from './errors'
import { abortableSleep, backoffDelayMs, isIdempotentMethod, isRetryableStatus, parseRetryAfterMs } from './retry'

export * from './errors'

export const CORRELATION_HEADER = 'X-Correlation-ID'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/**
 * Where the client reports each attempt. Shaped like our metrics registry's counters and
 * histograms, so a caller passes its own (e.g. `bot_api_requests_total`) without adapters.
 */
export interface HttpClientMetrics {
	/** Counter with labels (method, endpoint, status); status is the code, `timeout` or `network_error`. */
	requests?: { labels(method: string, endpoint: string, status: string): { inc(): void } }
	/**
	 * Histogram of attempt durations in seconds with labels (method, endpoint); each observation
	 * carries the attempt's exemplar (`trace_id`, `span_id`, and `correlation_id` when it differs).
	 */
	duration?: {
		labels(method: string, endpoint: string): { observe(seconds: number, exemplar?: ExemplarLabels): void }
	}
	/** Counter of scheduled retries with labels (method, endpoint). */
	retries?: { labels(method: string, endpoint: string): { inc(): void } }
}

/** Options of {@link createHttpClient}. Durations are milliseconds. */
export interface HttpClientOptions {
	/** Base URL the route templates are appended to, e.g. `http://127.0.0.1:8000`. */
	baseUrl: string
	/** Where "API request"/"API response" lines go (e.g. a `bot.api` child). Default: silent. */
	logger?: ILogLayer
	/** The correlation ID of the current event or request. Default: the async context's. */
	getCorrelationId?: () => string | undefined
	/** Makes an ID for a call made outside any context (default `crypto.randomUUID`). */
	generateCorrelationId?: () => string
	/**
	 * The process's tracing, for one CLIENT span per attempt when it exports. Default: none
	 * exported; every attempt still sends a `traceparent`.
	 */
	tracing?: Tracing
	/**
	 * The span of the current event or request, read once per call: every attempt's span is its
	 * child and carries its trace ID and sampled flag (and its `tracestate`). Default: none, and
	 * each attempt then starts a trace of its own.
	 */
	getParentSpan?: () => SpanContext | undefined
	/** Per-attempt timeout (default 10 000). */
	attemptTimeoutMs?: number
	/**
	 * Budget for one call including every retry and wait (default 90 000). The client gives
	 * up when the next attempt could not start within it, so with the default 10 s backoff cap
	 * it keeps trying for at least 80 s: long enough to ride out an API restart (README "Riding out API restarts").
	 */
	totalTimeoutMs?: number
	/** First backoff ceiling (default 250); doubles per retry up to `maxDelayMs`. */
	initialDelayMs?: number
	/** Backoff cap (default 10 000). A longer `Retry-After` is honoured as sent. */
	maxDelayMs?: number
	/** Extra headers sent with every request (e.g. `User-Agent`). */
	headers?: Record<string, string>
	metrics?: HttpClientMetrics
	/** Injectable for tests; defaults to the global `fetch`. */
	fetch?: (input: string, init: RequestInit) => Promise<Response>
	/** Monotonic milliseconds for durations and the budget (default `performance.now`). */
	clock?: () => number
	/** Wall-clock epoch milliseconds, for `Retry-After` HTTP-dates (default `Date.now`). */
	now?: () => number
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
	/** Uniform draw from [0, 1) for backoff jitter (default `Math.random`). */
	random?: () => number
}

/** Options of one call. */
export interface RequestOptions {
	/** Values for the `:name` placeholders of the route template (URL-encoded here). */
	params?: Record<string, string | number>
	query?: Record<string, string | number | boolean | undefined>
	/** Sent as JSON. */
	body?: unknown
	headers?: Record<string, string>
	/**
	 * Whether repeating the request is harmless. Defaults to true for GET, HEAD, OPTIONS, PUT
	 * and DELETE and false for POST and PATCH, which are then never retried.
	 */
	idempotent?: boolean
	/**
	 * For creates: a 409 on a *retried* attempt means an earlier attempt reached the server
	 * and created the resource, so the call resolves with `conflictOnRetry: true` instead of
	 * throwing. A 409 on the first attempt still throws {@link ApiConflictError}.
	 */
	conflictMeansSuccessOnRetry?: boolean
	attemptTimeoutMs?: number
	totalTimeoutMs?: number
	/** Cancels the call (and any wait between attempts); the signal's reason is thrown. */
	signal?: AbortSignal
}

interface ResponseInfo {
	status: number
	headers: Headers
	correlationId: string
	attempts: number
}

/** A successful call; `body` is the parsed JSON (undefined for an empty body, e.g. 204). */
export interface ApiResponse<T> extends ResponseInfo {
	conflictOnRetry: false
	body: T
}

/** A retried create that met 409: the resource exists, created by an earlier attempt. */
export interface ConflictOnRetry extends ResponseInfo {
	status: 409
	conflictOnRetry: true
	body: unknown
}

export interface HttpClient {
	request<T>(
		method: HttpMethod,
		endpoint: string,
		options: RequestOptions & { conflictMeansSuccessOnRetry: true },
	): Promise<ApiResponse<T> | ConflictOnRetry>
	request<T>(method: HttpMethod, endpoint: string, options?: RequestOptions): Promise<ApiResponse<T>>
	/** Calls started and not yet settled (including those waiting to retry). */
	readonly inFlight: number
}

type Outcome =
	| { kind: 'response'; response: Response; text: string }
	| { kind: 'network'; error: unknown; timedOut: boolean }

/**
 * Builds a client bound to one base URL. `endpoint` arguments are route templates such as
 * `/api/guilds/:guildId`: they label logs and metrics (bounded), and `params` fill them.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
	const baseUrl = options.baseUrl.replace(/\/+$/, '')
	const log = options.logger
	const getCorrelationId = options.getCorrelationId ?? currentCorrelationId
	const generateId = options.generateCorrelationId ?? (() => crypto.randomUUID())
	const tracing = options.tracing ?? disabledTracing
	const getParentSpan = options.getParentSpan
	const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
	const clock = options.clock ?? (() => performance.now())
	const now = options.now ?? Date.now
	const sleep = options.sleep ?? abortableSleep
	const random = options.random ?? Math.random
	const initialDelayMs = options.initialDelayMs ?? 250
	const maxDelayMs = options.maxDelayMs ?? 10_000
	let inFlight = 0

	/** One attempt: never throws for the API's failures, only when the caller cancelled. */
	async function attemptOnce(url: string, init: RequestInit, timeoutMs: number, cancel?: AbortSignal) {
		const timeout = AbortSignal.timeout(timeoutMs)
		const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout
		const started = clock()
		let outcome: Outcome
		try {
			const response = await fetchImpl(url, { ...init, signal })
			outcome = { kind: 'response', response, text: await response.text() }
		} catch (error) {
			// The caller cancelled: that is not the API's failure, so no retry and no wrapping.
			if (cancel?.aborted) throw cancel.reason
			outcome = { kind: 'network', error, timedOut: timeout.aborted }
		}
		const label =
			outcome.kind === 'response' ? String(outcome.response.status) : outcome.timedOut ? 'timeout' : 'network_error'
		return { outcome, label, durationMs: clock() - started }
	}

	async function call(
		method: HttpMethod,
		endpoint: string,
		correlationId: string,
		parent: SpanContext | undefined,
		opts: RequestOptions,
	) {
		const url = buildUrl(baseUrl, endpoint, opts.params, opts.query)
		const retrySafe = opts.idempotent ?? isIdempotentMethod(method)
		const attemptTimeoutMs = opts.attemptTimeoutMs ?? options.attemptTimeoutMs ?? 10_000
		const deadline = clock() + (opts.totalTimeoutMs ?? options.totalTimeoutMs ?? 90_000)
		const headers: Record<string, string> = {
			accept: 'application/json',
			...options.headers,
			...opts.headers,
			[CORRELATION_HEADER]: correlationId,
		}
		const body = opts.body === undefined ? undefined : JSON.stringify(opts.body)
		if (body !== undefined) headers['content-type'] = 'application/json'
		// The caller's tracestate goes on unchanged with every attempt (W3C Trace Context).
		const traceState = parent?.traceState?.serialize()
		if (traceState) headers[TRACESTATE_HEADER] = traceState
		const what = `${method} ${endpoint}`
		const fields = { method, endpoint }

		for (let attempt = 1; ; attempt++) {
			log?.withMetadata({ ...fields, attempt }).debug('API request')
			const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline - clock()))
			// Each attempt is a span of its own, so the server's span of a retry has the retry as parent.
			const span = tracing.startHttpClientSpan({ parent, method, url, route: endpoint, resendCount: attempt - 1 })
			const attemptHeaders = { ...headers, [TRACEPARENT_HEADER]: formatTraceParent(span) }
			let attemptResult: Awaited<ReturnType<typeof attemptOnce>>
			try {
				attemptResult = await attemptOnce(url, { method, headers: attemptHeaders, body }, timeoutMs, opts.signal)
			} catch (cancelled) {
				span.end({ errorType: 'cancelled' })
				throw cancelled
			}
			const { outcome, label, durationMs } = attemptResult
			const status = outcome.kind === 'response' ? outcome.response.status : undefined
			span.end(status === undefined ? { errorType: networkErrorType(outcome) } : { status })
			options.metrics?.requests?.labels(method, endpoint, label).inc()
			options.metrics?.duration
				?.labels(method, endpoint)
				.observe(durationMs / 1000, traceExemplar(span.traceId, span.spanId, correlationId))
			// Log fields keep one type each: a numeric status, or the kind of failure when none came.
			const attemptFields = {
				...fields,
				attempt,
				...(status === undefined ? { failure: label } : { status }),
				duration_ms: Math.round(durationMs),
			}
			const errorBody = outcome.kind === 'response' ? parseErrorBody(outcome.text) : undefined
			const cause = outcome.kind === 'network' ? outcome.error : undefined
			const details: ApiErrorDetails = {
				method,
				endpoint,
				status,
				correlationId,
				body: errorBody,
				attempts: attempt,
				cause,
			}

			let retryAfterMs: number | undefined
			if (outcome.kind === 'response') {
				const { response, text } = outcome
				const retryable = isRetryableStatus(response.status)
				if (retryable || response.status >= 500) log?.withMetadata(attemptFields).warn('API response')
				else log?.withMetadata(attemptFields).info('API response')
				const info = { status: response.status, headers: response.headers, correlationId, attempts: attempt }

				if (response.ok) {
					const parsed = parseJson(text)
					if (!parsed.ok)
						throw new ApiBadResponseError(`${what}: invalid JSON in a ${label}`, { ...details, body: text })
					return { ...info, conflictOnRetry: false as const, body: parsed.value }
				}
				if (response.status === 409 && opts.conflictMeansSuccessOnRetry && attempt > 1) {
					log?.withMetadata(attemptFields).info('API create already applied by an earlier attempt')
					return { ...info, status: 409 as const, conflictOnRetry: true as const, body: errorBody }
				}
				if (!retryable) throw classify(what, response.status, details)
				retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), now())
			} else {
				// The reason only: a stack per retry of "connection refused" buries the story. The
				// final "giving up" line carries the full error.
				log
					?.withMetadata({ ...attemptFields, reason: asError(outcome.error).message })
					.warn(outcome.timedOut ? 'API request timed out' : 'API request failed')
			}

			if (!retrySafe) throw new ApiUnavailableError(`${what}: ${label}, and the request is not safe to retry`, details)
			const delayMs = retryAfterMs ?? backoffDelayMs(attempt, initialDelayMs, maxDelayMs, random())
			if (clock() + delayMs >= deadline) {
				const line = cause === undefined ? log : log?.withError(asError(cause))
				line?.withMetadata(attemptFields).error('API unavailable; giving up')
				throw new ApiUnavailableError(`${what}: gave up after ${attempt} attempts (last: ${label})`, details)
			}
			options.metrics?.retries?.labels(method, endpoint).inc()
			log?.withMetadata({ ...attemptFields, retry_in_ms: Math.round(delayMs) }).info('API request will be retried')
			await sleep(delayMs, opts.signal)
		}
	}

	const client = {
		request(method: HttpMethod, endpoint: string, opts: RequestOptions = {}) {
			// One ID for the whole call, fixed before the first attempt, so every retry carries it.
			const correlationId = getCorrelationId() ?? generateId()
			const parent = getParentSpan?.()
			const run = () => call(method, endpoint, correlationId, parent, opts)
			inFlight++
			// The logger reads the ID from the async context; a call made outside one (or with an
			// injected ID) gets its own, so its log lines carry the ID that went on the wire.
			const pending = currentCorrelationId() === correlationId ? run() : runWithContext({ correlationId }, run)
			return pending.finally(() => inFlight--)
		},
		get inFlight() {
			return inFlight
		},
	}
	return client as HttpClient
}

/** `error.type` of an attempt that got no response: `timeout`, else the error's code or class name. */
function networkErrorType(outcome: Outcome): string {
	if (outcome.kind !== 'network') return '_OTHER'
	if (outcome.timedOut) return 'timeout'
	const code = (outcome.error as { code?: unknown } | undefined)?.code
	if (typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(code)) return code
	return outcome.error instanceof Error ? outcome.error.constructor.name : '_OTHER'
}

function classify(what: string, status: number, details: ApiErrorDetails) {
	const message = `${what}: ${status}`
	if (status === 404) return new ApiNotFoundError(message, details)
	if (status === 409) return new ApiConflictError(message, details)
	return new ApiBadResponseError(`${message} (unexpected status)`, details)
}

/** Fills `:name` placeholders; a missing value is a programming error, so it throws. */
export function buildUrl(
	baseUrl: string,
	endpoint: string,
	params: RequestOptions['params'] = {},
	query: RequestOptions['query'] = {},
): string {
	const path = endpoint.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
		const value = params[name]
		if (value === undefined) throw new TypeError(`Missing value for :${name} in ${endpoint}`)
		return encodeURIComponent(String(value))
	})
	const search = new URLSearchParams()
	for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value))
	const qs = search.toString()
	return `${baseUrl}${path}${qs ? `?${qs}` : ''}`
}

function parseJson(text: string): { ok: true; value: any } | { ok: false } {
	if (text === '') return { ok: true, value: undefined }
	try {
		return { ok: true, value: JSON.parse(text) }
	} catch {
		return { ok: false }
	}
}

/** The API's JSON error body when it sent one, else the raw text (e.g. a proxy's HTML page). */
function parseErrorBody(text: string): unknown {
	const parsed = parseJson(text)
	return parsed.ok ? parsed.value : text
}
