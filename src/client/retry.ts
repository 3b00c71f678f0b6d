/**
 * Retry policy pieces of the shared HTTP client: which outcomes are worth another attempt,
 * how long to wait (capped exponential backoff with full jitter, or the server's
 * `Retry-After`), and an abortable sleep.
 */

/** Statuses that say "not now" rather than "no": the same request may succeed later. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

export function isRetryableStatus(status: number): boolean {
	return RETRYABLE_STATUSES.has(status)
}

/** Methods whose repetition has the same effect as one call (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export function isIdempotentMethod(method: string): boolean {
	return IDEMPOTENT_METHODS.has(method)
}

/**
 * Full-jitter backoff (the AWS architecture blog's recommendation): a uniform draw from
 * [0, min(cap, base * 2^(retry-1))). Jitter spreads the retries of many events that failed
 * at the same moment (an API restart) so they do not arrive back in lockstep.
 *
 * @param retry 1 for the first retry, 2 for the second, …
 * @param random a draw from [0, 1)
 */
export function backoffDelayMs(retry: number, baseMs: number, capMs: number, random: number): number {
	// 2^30 already exceeds any sensible cap; bounding the exponent keeps the number finite.
	const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retry - 1, 30))
	return Math.floor(random * ceiling)
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). Undefined when absent or unparseable; never negative.
 *
 * @param nowMs the current wall-clock time (epoch ms), for the HTTP-date form
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
	if (value === null) return undefined
	const trimmed = value.trim()
	if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
	const at = Date.parse(trimmed)
	if (Number.isNaN(at)) return undefined
	return Math.max(0, at - nowMs)
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) return Promise.reject(signal.reason)
	return new Promise((resolve, reject) => {
		const onAbort = () => {
			clearTimeout(timer)
			reject(signal?.reason)
		}
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort)
			resolve()
		}, ms)
		signal?.addEventListener('abort', onAbort, { once: true })
	})
}
