/**
 * The bot's configuration, parsed once at start-up from the environment (README "The bot",
 * "Configuration"). Every bad or missing value is reported at once: the ConfigError thrown
 * has one line per bad variable; the entrypoint prints its message and exits 1.
 */
import {
	ConfigError,
	ConfigReader,
	type Env,
	type LogFormat,
	type LogLevel,
	parseHost,
	parseLogFormat,
	parseLogLevel,
	parsePort,
	parsePositiveInt,
	parseToken,
	parseTokenList,
	parseTracing,
} from '../config'
import type { TracingConfig } from '../observability/tracing-config'
import { parseShardPlan, parseSyncConcurrency, type ShardPlan } from './shard-config'

export interface BotConfig {
	/** `DISCORD_TOKEN` (required). */
	discordToken: string
	/** `API_URL`: where the guild API lives (default `http://127.0.0.1:8000`). */
	apiUrl: string
	/** `DISCORD_API_URL`: Discord REST base override (a proxy, or a fake in tests). */
	discordApiUrl: string | undefined
	/** `DISCORD_DEV_GUILD_ID`: register slash commands in this guild only (instant, for development). */
	devGuildId: string | undefined
	/** `BOT_METRICS_PORT`: serve /metrics and /health/live here; unset → no server. */
	metricsPort: number | undefined
	/** `BOT_METRICS_HOST` (default `127.0.0.1`). */
	metricsHost: string
	/** `METRICS_TOKEN`: when set, the bot's /metrics requires it as a bearer token too. */
	metricsToken: string | undefined
	logFormat: LogFormat
	logLevel: LogLevel
	/** `SHUTDOWN_TIMEOUT_MS`: how long SIGTERM waits for in-flight API calls (default 10 s). */
	shutdownTimeoutMs: number
	/** `DISCORD_SHARD_COUNT` / `DISCORD_SHARD_IDS`: the shards this process runs (default: Discord's recommendation, all). */
	shards: ShardPlan
	/** `BOT_SYNC_CONCURRENCY`: API calls the start-up reconcile keeps in flight (default 16). */
	syncConcurrency: number
	/** The first of `API_TOKEN`'s comma-separated tokens, sent as `Authorization: Bearer` to the API. */
	apiToken: string | undefined
	/** The standard `OTEL_*` variables (README "Tracing (W3C Trace Context, OpenTelemetry)"); `service.name` defaults to `byte-bot`. */
	tracing: TracingConfig
}

/** Discord snowflakes: positive 64-bit integers in decimal. */
const SNOWFLAKE = /^[1-9][0-9]{0,19}$/

function parseHttpUrl(variable: string, value: string | undefined, fallback?: string): string | undefined {
	const raw = value?.trim()
	if (!raw) return fallback
	let url: URL
	try {
		url = new URL(raw)
	} catch {
		throw new ConfigError(variable, 'an http:// or https:// URL')
	}
	const http = url.protocol === 'http:' || url.protocol === 'https:'
	if (!http) throw new ConfigError(variable, 'an http:// or https:// URL')
	return raw.replace(/\/+$/, '')
}

function parseSnowflake(variable: string, value: string | undefined): string | undefined {
	const raw = value?.trim()
	if (!raw) return undefined
	if (!SNOWFLAKE.test(raw) || BigInt(raw) >= 1n << 64n) throw new ConfigError(variable, 'a Discord ID (snowflake)')
	return raw
}

function parseRequiredToken(variable: string, value: string | undefined): string {
	const token = parseToken(variable, value)
	if (token === undefined) throw new ConfigError(variable, 'the bot token (required, not set)')
	return token
}

/**
 * Parses the bot's environment; throws one ConfigError listing every bad value. New
 * variables go through `r.read(...)` too, so they are reported alongside the others.
 */
export function loadBotConfig(env: Env = process.env, isTty = Boolean(process.stdout.isTTY)): BotConfig {
	const r = new ConfigReader()
	return r.done({
		discordToken: r.read(() => parseRequiredToken('DISCORD_TOKEN', env.DISCORD_TOKEN)),
		apiUrl: r.read(() => parseHttpUrl('API_URL', env.API_URL, 'http://127.0.0.1:8000')!),
		discordApiUrl: r.read(() => parseHttpUrl('DISCORD_API_URL', env.DISCORD_API_URL)),
		devGuildId: r.read(() => parseSnowflake('DISCORD_DEV_GUILD_ID', env.DISCORD_DEV_GUILD_ID)),
		metricsPort: r.read(() =>
			env.BOT_METRICS_PORT?.trim() ? parsePort('BOT_METRICS_PORT', env.BOT_METRICS_PORT, 0) : undefined,
		),
		metricsHost: r.read(() => parseHost(env.BOT_METRICS_HOST, 'BOT_METRICS_HOST')),
		metricsToken: r.read(() => parseToken('METRICS_TOKEN', env.METRICS_TOKEN)),
		logFormat: r.read(() => parseLogFormat(env.LOG_FORMAT, isTty)),
		logLevel: r.read(() => parseLogLevel(env.LOG_LEVEL)),
		shutdownTimeoutMs: r.read(() => parsePositiveInt('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000)),
		shards: r.read(() => parseShardPlan(env)),
		syncConcurrency: r.read(() => parseSyncConcurrency(env)),
		// Any of the API's tokens works (so one can be rotated without downtime); the bot sends the first.
		apiToken: r.read(() => parseTokenList('API_TOKEN', env.API_TOKEN)[0]),
		tracing: r.read(() => parseTracing(env, 'byte-bot')),
	})
}
