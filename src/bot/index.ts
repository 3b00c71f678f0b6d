/**
 * Bot entrypoint (`bun run bot`): parse configuration, set up tracing (README "Tracing (W3C
 * Trace Context, OpenTelemetry)"), build the bot (src/bot/bot.ts), optionally serve /metrics
 * and the health checks, exit 1 when Discord closes a shard for good, and on SIGTERM/SIGINT
 * stop taking events, wait (bounded) for the running ones, flush their spans with what is left
 * of the budget, disconnect and exit 0.
 */
import pkg from '../../package.json'
import { ConfigError } from '../config'
import { asError } from '../errors'
import { createLogger, flushLogs, loggerFor } from '../observability/logger'
import { Registry } from '../observability/metrics'
import { registerProcessMetrics } from '../observability/process-metrics'
import { createTracing } from '../observability/tracing'
import { tracingSummary } from '../observability/tracing-config'
import { createBot } from './bot'
import { type BotConfig, loadBotConfig } from './config'
import { startMetricsServer } from './metrics-server'

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
const tracing = await createTracing({
	config: config.tracing,
	serviceVersion: pkg.version,
	logger: loggerFor(root, 'bot.tracing'),
})
let stopping = false
let exiting: Promise<never> | undefined

/** Exits with `code` once the log lines are out; later calls wait for the first. */
function exit(code: number): Promise<never> {
	exiting ??= flushLogs(root).then(() => process.exit(code))
	return exiting
}

const bot = createBot({
	logger: root,
	registry,
	tracing,
	http: {
		baseUrl: config.apiUrl,
		headers: {
			'user-agent': `byte-bot/${pkg.version}`,
			...(config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {}),
		},
	},
	discordApiUrl: config.discordApiUrl,
	shards: config.shards,
	syncConcurrency: config.syncConcurrency,
	devGuildId: config.devGuildId,
	isStopping: () => stopping,
	// Discord will not take this shard back whatever discord.js tries: running on would be a zombie.
	onFatalClose: () => void exit(1),
})
const { client, tasks, http } = bot

const metricsServer =
	config.metricsPort === undefined
		? undefined
		: startMetricsServer({
				registry,
				hostname: config.metricsHost,
				port: config.metricsPort,
				token: config.metricsToken,
				readiness: bot.readiness,
			})

async function shutdown(signal: string) {
	if (stopping) {
		log.withMetadata({ signal }).warn('Second signal during shutdown; exiting now')
		await exit(1)
	}
	stopping = true
	const started = performance.now()
	log.withMetadata({ signal, in_flight: tasks.size, timeout_ms: config.shutdownTimeoutMs }).info('Shutting down')
	// Handlers still reply through Discord's REST API, so the client is destroyed only after them.
	const { finished, abandoned } = await tasks.drain(config.shutdownTimeoutMs)
	const settled = log.withMetadata({ finished, abandoned, api_calls_in_flight: http.inFlight })
	if (abandoned > 0) settled.warn('Gave up waiting for in-flight events')
	else settled.info('In-flight events finished')
	// The finished events' spans are ended by now; they get what is left of the same budget.
	const { flushed } = await tracing.shutdown(Math.max(1, config.shutdownTimeoutMs - (performance.now() - started)))
	await Promise.race([client.destroy(), Bun.sleep(2_000)])
	metricsServer?.stop(true)
	log.withMetadata(tracing.exporting ? { spans_flushed: flushed } : {}).info('Bot stopped')
	await exit(0)
}

process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
// Handlers catch their own failures; this is the net under discord.js' internals.
process.on('unhandledRejection', (reason) => log.withError(asError(reason)).error('Unhandled promise rejection'))

const { shards } = config
log
	.withMetadata({
		version: pkg.version,
		api_url: config.apiUrl,
		api_token_set: Boolean(config.apiToken),
		discord_api_url: config.discordApiUrl ?? 'https://discord.com/api',
		dev_guild_id: config.devGuildId,
		shard_count: shards.mode === 'fixed' ? shards.count : 'recommended',
		shard_ids: shards.mode === 'fixed' ? shards.ids : 'all',
		sync_concurrency: config.syncConcurrency,
		metrics_url: metricsServer ? `http://${config.metricsHost}:${metricsServer.port}/metrics` : undefined,
		...tracingSummary(config.tracing),
	})
	.info('Bot starting')

try {
	await client.login(config.discordToken)
} catch (error) {
	// A fatal close during login was already reported, with what to do, and is exiting.
	if (exiting) await exiting
	log.withError(error as Error).fatal('Could not connect to Discord')
	await exit(1)
}
