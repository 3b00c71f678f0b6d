/**
 * CORS by allow-list (`CORS_ORIGINS`, README "HTTP API"): a listed `Origin` is granted on
 * every response, errors included; preflight `OPTIONS` requests are answered by the
 * request plugin with the methods the path really serves (./unrouted.ts). Origins not on
 * the list get no grant, so a browser keeps their scripts from reading our responses.
 */
import { Elysia } from 'elysia'

/** Request headers a browser may send cross-origin (credentials, JSON, our IDs, trace context). */
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, X-Correlation-ID, traceparent, tracestate'
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600

export interface CorsPolicy {
	/** Whether `origin` (the request's `Origin` header) is granted. */
	allows(origin: string | null): origin is string
}

/** A policy granting exactly the listed origins (`scheme://host[:port]`, compared as sent). */
export function corsPolicy(origins: readonly string[]): CorsPolicy {
	const allowed = new Set(origins)
	return { allows: (origin): origin is string => origin !== null && allowed.has(origin) }
}

/** The preflight grant for an allowed origin asking to use one of `methods`, else undefined. */
export function preflightHeaders(
	request: Request,
	methods: readonly string[],
	policy: CorsPolicy | undefined,
): Record<string, string> | undefined {
	const origin = request.headers.get('origin')
	if (!policy?.allows(origin) || request.headers.get('access-control-request-method') === null) return undefined
	return {
		'access-control-allow-origin': origin,
		'access-control-allow-methods': methods.join(', '),
		'access-control-allow-headers': CORS_ALLOWED_HEADERS,
		'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
		vary: 'Origin',
	}
}

/**
 * Grants the policy's origins on every response (`Access-Control-Allow-Origin` and
 * `Vary: Origin`). Register it only when some origin is listed.
 */
export function cors(policy: CorsPolicy) {
	return new Elysia({ name: 'byte.cors', seed: policy }).onRequest(function grantOrigin({ request, set }) {
		set.headers.vary = 'Origin'
		const origin = request.headers.get('origin')
		if (policy.allows(origin)) set.headers['access-control-allow-origin'] = origin
	})
}
