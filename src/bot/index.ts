/**
 * Bot entrypoint (`bun run bot`): parse configuration, wire the Discord client to the guild
 * API through the shared HTTP client, optionally serve /metrics, and on SIGTERM/SIGINT stop
 * taking events, wait (bounded) for the running ones, disconnect and exit 0.
 */
import pkg from '../../package.json'
import { ConfigError } from '../config'
import { createHttpClient } from '../client/http-client'
import { createLogger, flushLogs, loggerFor } from '../observability/logger'
import { Registry } from '../observability/metrics'
import { registerProcessMetrics } from '../observability/process-metrics'
import { createGuildApi } from './api'
import { type BotConfig, loadBotConfig } from './config'
import { createDiscordClient, logClientLifecycle } from './discord'
import { registerHandlers } from './handlers'
import { defineBotMetrics } from './metrics'
import { startMetricsServer } from './metrics-server'
import { createTaskTracker } from './tasks'

let config: BotConfig
try {
	config = loadBotConfig()
} catch (error) {
	if (!(error instanceof ConfigError)) throw error
	process.stdout.write(`${error.message}\n`)
	process.exit(1)
}

const root = createLogger({ format: config.logFormat, level: config.logLevel, name: 'bot' })
const log = loggerFor(root, 'bot.main')
const registry = new Registry()
registerProcessMetrics(registry, { version: pkg.version })
const metrics = defineBotMetrics(registry)
const http = createHttpClient({
	baseUrl: config.apiUrl,
	logger: loggerFor(root, 'bot.api'),
	metrics: metrics.api,
	headers: { 'user-agent': `byte-bot/${pkg.version}` },
})
const tasks = createTaskTracker()
const client = createDiscordClient({ discordApiUrl: config.discordApiUrl })
let stopping = false

logClientLifecycle(client, root, () => stopping)
registerHandlers(client, {
	api: createGuildApi(http),
	logger: root,
	metrics,
	tasks,
	devGuildId: config.devGuildId,
	isStopping: () => stopping,
})

const metricsServer =
	config.metricsPort === undefined
		? undefined
		: startMetricsServer({
				registry,
				hostname: config.metricsHost,
				port: config.metricsPort,
				token: config.metricsToken,
				isReady: () => client.isReady(),
			})

async function shutdown(signal: string) {
	if (stopping) {
		log.withMetadata({ signal }).warn('Second signal during shutdown; exiting now')
		await flushLogs(root)
		process.exit(1)
	}
	stopping = true
	log.withMetadata({ signal, in_flight: tasks.size, timeout_ms: config.shutdownTimeoutMs }).info('Shutting down')
	// Handlers still reply through Discord's REST API, so the client is destroyed only after them.
	const { finished, abandoned } = await tasks.drain(config.shutdownTimeoutMs)
	const settled = log.withMetadata({ finished, abandoned, api_calls_in_flight: http.inFlight })
	if (abandoned > 0) settled.warn('Gave up waiting for in-flight events')
	else settled.info('In-flight events finished')
	await Promise.race([client.destroy(), Bun.sleep(2_000)])
	metricsServer?.stop(true)
	log.info('Bot stopped')
	await flushLogs(root)
	process.exit(0)
}

process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
// Handlers catch their own failures; this is the net under discord.js' internals.
process.on('unhandledRejection', (reason) =>
	log.withError(reason instanceof Error ? reason : new Error(String(reason))).error('Unhandled promise rejection'),
)

log
	.withMetadata({
		version: pkg.version,
		api_url: config.apiUrl,
		discord_api_url: config.discordApiUrl ?? 'https://discord.com/api',
		dev_guild_id: config.devGuildId,
		metrics_url: metricsServer ? `http://${config.metricsHost}:${metricsServer.port}/metrics` : undefined,
	})
	.info('Bot starting')

try {
	await client.login(config.discordToken)
} catch (error) {
	log.withError(error as Error).fatal('Could not connect to Discord')
	await flushLogs(root)
	process.exit(1)
}
