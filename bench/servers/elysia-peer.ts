/**
 * Peer: Elysia with the community plugins `elysia-prometheus` (prom-client) and
 * `elysia-requestid`, serving /health/live and the JSON 404. No access log.
 */
import { Elysia } from 'elysia'
import prometheus from 'elysia-prometheus'
import { requestID } from 'elysia-requestid'
import { config, NOT_FOUND_MESSAGE } from './common'

new Elysia()
	.use(requestID())
	.use(prometheus())
	.onError(({ code, set }) => {
		if (code !== 'NOT_FOUND') return
		set.status = 404
		const id = String(set.headers['X-Request-ID'] ?? '')
		return { error: { code: 'NOT_FOUND', message: NOT_FOUND_MESSAGE, correlation_id: id } }
	})
	.get('/health/live', () => ({ status: 'ok' }))
	.listen({ hostname: config.host, port: config.port })
process.on('SIGTERM', () => process.exit(0))
