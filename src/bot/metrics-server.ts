/**
 * The bot's small HTTP side: `/metrics` from the shared registry (Prometheus text, or
 * OpenMetrics when asked), `/health/live` (the process answers) and `/health/ready` (every
 * shard of this process ready, each shard's state in the body; README "Health"). Only
 * started when BOT_METRICS_PORT is set.
 */
import { RETRY_AFTER_SECONDS } from '../server/errors'
import { bearerVerifier } from '../server/bearer'
import { negotiate, type Registry } from '../observability/metrics'

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
	registry: Registry
	/** Default `127.0.0.1`. */
	hostname?: string
	/** 0 picks a free port (tests). */
	port: number
	/** When set, /metrics requires `Authorization: Bearer <token>` (as the API's does). */
	token?: string
	/** For /health/ready: whether every shard is ready, and each shard's state (default: ready, no shards). */
	readiness?: () => { ready: boolean; shards: Record<string, string> }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
	Response.json(body, { status, headers })
const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
	json({ error: { code, message } }, status, headers)

export function startMetricsServer(options: MetricsServerOptions) {
	const authorized = options.token ? bearerVerifier(options.token) : undefined
	return Bun.serve({
		hostname: options.hostname ?? '127.0.0.1',
		port: options.port,
		fetch(request) {
			const { pathname } = new URL(request.url)
			if (request.method !== 'GET' && request.method !== 'HEAD') {
				return error(405, 'METHOD_NOT_ALLOWED', 'Only GET is supported', { allow: 'GET, HEAD' })
			}
			switch (pathname) {
				case '/metrics': {
					if (authorized && !authorized(request.headers.get('authorization'))) {
						return error(401, 'UNAUTHORIZED', 'A valid bearer token is required for /metrics', {
							'www-authenticate': 'Bearer realm="metrics"',
						})
					}
					const { format, contentType } = negotiate(request.headers.get('accept'))
					return new Response(options.registry.render(format), { headers: { 'content-type': contentType } })
				}
				case '/health/live':
					return json({ status: 'ok' })
				case '/health/ready': {
					const { ready, shards } = options.readiness?.() ?? { ready: true, shards: {} }
					// A shard reconnects within seconds; probes and load balancers may ask again then.
					const retry: Record<string, string> = ready ? {} : { 'retry-after': String(RETRY_AFTER_SECONDS) }
					return json({ status: ready ? 'ok' : 'unavailable', shards }, ready ? 200 : 503, retry)
				}
				default:
					return error(404, 'NOT_FOUND', `No route for ${pathname}`)
			}
		},
	})
}
