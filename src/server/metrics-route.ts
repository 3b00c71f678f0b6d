/**
 * GET /metrics: Prometheus text 0.0.4, or OpenMetrics 1.0 (with exemplars) when the
 * Accept header asks for it. Hidden from the OpenAPI document. With METRICS_TOKEN set,
 * requires `Authorization: Bearer <token>`, compared in constant time.
 */
import { Elysia } from 'elysia'
import { unauthorized } from '../errors'
import { bearerVerifier } from './bearer'
import { negotiate, type Registry } from '../observability/metrics'

export function metricsRoute(registry: Registry, token?: string) {
	const authorized = token ? bearerVerifier(token) : undefined
	return new Elysia({ name: 'byte.metrics-route' }).get(
		'/metrics',
		({ request, set }) => {
			if (authorized && !authorized(request.headers.get('authorization'))) {
				set.headers['www-authenticate'] = 'Bearer realm="metrics"'
				throw unauthorized('A valid bearer token is required for /metrics')
			}
			const { format, contentType } = negotiate(request.headers.get('accept'))
			set.headers['content-type'] = contentType
			// Elysia's Response copies the bytes, so the registry's buffer is free for the next scrape.
			return registry.renderBytes(format)
		},
		{ detail: { hide: true } },
	)
}
