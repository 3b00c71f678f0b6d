/**
 * GET /metrics: Prometheus text 0.0.4, or OpenMetrics 1.0 (with exemplars) when the
 * Accept header asks for it. Hidden from the OpenAPI document. With METRICS_TOKEN set,
 * requires `Authorization: Bearer <token>`, compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { unauthorized } from '../errors'
import { negotiate, type Registry } from './metrics'

const digest = (value: string) => new Bun.CryptoHasher('sha256').update(value).digest()

/** Constant-time check of a bearer token (hashing first makes lengths equal). */
export function bearerMatches(header: string | null, token: string): boolean {
	const presented = header?.startsWith('Bearer ') ? header.slice(7) : ''
	return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0
}

export function metricsRoute(registry: Registry, token?: string) {
	return new Elysia({ name: 'byte.metrics-route' }).get(
		'/metrics',
		({ request, set }) => {
			if (token && !bearerMatches(request.headers.get('authorization'), token)) {
				set.headers['www-authenticate'] = 'Bearer realm="metrics"'
				throw unauthorized('A valid bearer token is required for /metrics')
			}
			const { format, contentType } = negotiate(request.headers.get('accept'))
			set.headers['content-type'] = contentType
			return registry.render(format)
		},
		{ detail: { hide: true } },
	)
}
