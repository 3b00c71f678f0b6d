/**
 * Peer: Hono on Bun with `@hono/prometheus` (prom-client) and `hono/request-id`, serving
 * /health/live and the JSON 404. No access log.
 */
import { prometheus } from '@hono/prometheus'
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { config, NOT_FOUND_MESSAGE } from './common'

const { printMetrics, registerMetrics } = prometheus()
const app = new Hono()
app.use('*', requestId())
app.use('*', registerMetrics)
app.get('/metrics', printMetrics)
app.get('/health/live', (c) => c.json({ status: 'ok' }))
app.notFound((c) =>
	c.json({ error: { code: 'NOT_FOUND', message: NOT_FOUND_MESSAGE, correlation_id: c.get('requestId') } }, 404),
)
Bun.serve({ hostname: config.host, port: config.port, fetch: app.fetch })
process.on('SIGTERM', () => process.exit(0))
