/**
 * The bot's configuration: defaults, validation with one-line messages naming the variable,
 * and the entrypoint's exit on a bad environment.
 */
import { describe, expect, test } from 'bun:test'
import { loadBotConfig } from '../../src/bot/config'
import { ConfigError } from '../../src/config'
import { spawnLogged } from './processes'

const load = (env: Record<string, string>) => loadBotConfig({ DISCORD_TOKEN: 'token', ...env }, false)

describe('loadBotConfig', () => {
	test('defaults', () => {
		expect(load({})).toEqual({
			discordToken: 'token',
			apiUrl: 'http://127.0.0.1:8000',
			discordApiUrl: undefined,
			devGuildId: undefined,
			metricsPort: undefined,
			metricsHost: '127.0.0.1',
			metricsToken: undefined,
			logFormat: 'json',
			logLevel: 'info',
			shutdownTimeoutMs: 10_000,
			shards: { mode: 'auto' },
			syncConcurrency: 16,
			apiToken: undefined,
			tracing: {
				export: undefined,
				disabledBecause: 'no endpoint',
				serviceName: 'byte-bot',
				sampler: { name: 'parentbased_always_on', ratio: 1 },
				knownMethods: expect.any(Set),
			},
		})
	})

	test('tracing: the standard OTEL_* variables, service.name byte-bot unless OTEL_SERVICE_NAME says otherwise', () => {
		const { tracing } = load({
			OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4318',
			OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
			OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
			OTEL_TRACES_SAMPLER_ARG: '0.25',
		})
		expect(tracing.export).toEqual({ url: 'http://tempo:4318/v1/traces', protocol: 'http/json', headers: {} })
		expect(tracing.serviceName).toBe('byte-bot')
		expect(tracing.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 })
		expect(load({ OTEL_SERVICE_NAME: 'byte-bot-eu' }).tracing.serviceName).toBe('byte-bot-eu')
		const disabled = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4318', OTEL_SDK_DISABLED: 'true' }).tracing
		expect(disabled).toMatchObject({ export: undefined, disabledBecause: 'OTEL_SDK_DISABLED' })
	})

	test('reads every variable', () => {
		const config = load({
			API_URL: 'https://api.example.org/',
			DISCORD_API_URL: 'http://127.0.0.1:9999/api',
			DISCORD_DEV_GUILD_ID: '1234567890123456789',
			BOT_METRICS_PORT: '9102',
			BOT_METRICS_HOST: '0.0.0.0',
			LOG_FORMAT: 'pretty',
			LOG_LEVEL: 'debug',
		})
		expect(config).toMatchObject({
			apiUrl: 'https://api.example.org',
			discordApiUrl: 'http://127.0.0.1:9999/api',
			devGuildId: '1234567890123456789',
			metricsPort: 9102,
			metricsHost: '0.0.0.0',
			logFormat: 'pretty',
			logLevel: 'debug',
		})
	})

	test('sharding: a total alone runs every shard; ids and ranges pick this process’s share', () => {
		expect(load({ DISCORD_SHARD_COUNT: '4' }).shards).toEqual({ mode: 'fixed', count: 4, ids: [0, 1, 2, 3] })
		expect(load({ DISCORD_SHARD_COUNT: '16', DISCORD_SHARD_IDS: '0-3,8' }).shards).toEqual({
			mode: 'fixed',
			count: 16,
			ids: [0, 1, 2, 3, 8],
		})
		expect(load({ DISCORD_SHARD_COUNT: '8', DISCORD_SHARD_IDS: ' 5 , 2-3, 3 ' }).shards).toEqual({
			mode: 'fixed',
			count: 8,
			ids: [2, 3, 5],
		})
		expect(load({ BOT_SYNC_CONCURRENCY: '4' }).syncConcurrency).toBe(4)
	})

	test('API_TOKEN: the first of the comma-separated tokens is the one sent', () => {
		expect(load({ API_TOKEN: 'first-token' }).apiToken).toBe('first-token')
		expect(load({ API_TOKEN: ' new-token , old-token ' }).apiToken).toBe('new-token')
		// Read as the API reads it: an empty token (a stray comma) is a mistake, not a wildcard.
		expect(() => load({ API_TOKEN: 'new-token,' })).toThrow('API_TOKEN: expected')
	})

	const shardErrors: Array<[string, Record<string, string>, RegExp]> = [
		[
			'ids without a count',
			{ DISCORD_SHARD_IDS: '0-1' },
			/^DISCORD_SHARD_IDS: expected DISCORD_SHARD_COUNT to be set too/,
		],
		[
			'an id outside 0…count-1',
			{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '2-4' },
			/^DISCORD_SHARD_IDS: expected ids from 0 to 3 \(DISCORD_SHARD_COUNT=4\), but 2-4 goes beyond$/,
		],
		[
			'a reversed range',
			{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '3-1' },
			/^DISCORD_SHARD_IDS: expected ranges from low to high/,
		],
		[
			'words',
			{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: 'all' },
			/^DISCORD_SHARD_IDS: expected shard ids and ranges/,
		],
		[
			'an empty item',
			{ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '0,,1' },
			/^DISCORD_SHARD_IDS: expected shard ids and ranges/,
		],
		['a zero count', { DISCORD_SHARD_COUNT: '0' }, /^DISCORD_SHARD_COUNT: expected a whole number from 1 to 65536$/],
		['a negative id', { DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '-1' }, /^DISCORD_SHARD_IDS: expected shard ids/],
	]
	for (const [what, env, message] of shardErrors) {
		test(`sharding: ${what} is a one-line error naming the variable`, () => {
			expect(() => load(env)).toThrow(message)
		})
	}

	const bad: Array<[string, Record<string, string | undefined>]> = [
		['DISCORD_TOKEN', { DISCORD_TOKEN: undefined }],
		['DISCORD_TOKEN', { DISCORD_TOKEN: 'has space' }],
		['API_URL', { API_URL: 'ftp://example.org' }],
		['API_URL', { API_URL: 'not a url' }],
		['DISCORD_API_URL', { DISCORD_API_URL: 'localhost:3000' }],
		['DISCORD_DEV_GUILD_ID', { DISCORD_DEV_GUILD_ID: 'my-guild' }],
		['BOT_METRICS_PORT', { BOT_METRICS_PORT: '70000' }],
		['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
		['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
		['API_TOKEN', { API_TOKEN: ',' }],
		['API_TOKEN', { API_TOKEN: 'good,has space' }],
		['BOT_SYNC_CONCURRENCY', { BOT_SYNC_CONCURRENCY: '0' }],
		['OTEL_EXPORTER_OTLP_ENDPOINT', { OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' }],
		['OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
		['OTEL_TRACES_SAMPLER', { OTEL_TRACES_SAMPLER: 'sometimes' }],
		['OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'yes' }],
	]
	for (const [variable, env] of bad) {
		test(`${variable}=${env[variable] ?? '(unset)'} is rejected naming ${variable}`, () => {
			const run = () => loadBotConfig({ DISCORD_TOKEN: 'token', ...env }, false)
			expect(run).toThrow(ConfigError)
			expect(run).toThrow(new RegExp(`^${variable}: `))
		})
	}
})

test('every bad variable is reported at once, one line each, the tracing ones among them', () => {
	let error: unknown
	try {
		loadBotConfig(
			{
				DISCORD_TOKEN: '',
				API_URL: 'ftp://x',
				LOG_LEVEL: 'loud',
				BOT_METRICS_PORT: 'nine',
				OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
				OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret-value,broken',
			},
			false,
		)
	} catch (e) {
		error = e
	}
	expect(error).toBeInstanceOf(ConfigError)
	const config = error as ConfigError
	expect(config.lines).toEqual([
		'DISCORD_TOKEN: expected the bot token (required, not set)',
		'API_URL: expected an http:// or https:// URL',
		'BOT_METRICS_PORT: expected an integer port from 0 to 65535',
		'LOG_LEVEL: expected one of debug, info, warning, error, critical',
		expect.stringMatching(/^OTEL_EXPORTER_OTLP_PROTOCOL: expected /),
		expect.stringMatching(/^OTEL_EXPORTER_OTLP_HEADERS: expected /),
	])
	expect(config.issues.map((issue) => issue.variable).slice(-2)).toEqual([
		'OTEL_EXPORTER_OTLP_PROTOCOL',
		'OTEL_EXPORTER_OTLP_HEADERS',
	])
	// Header values carry credentials: never quoted back.
	expect(config.message).not.toContain('secret-value')
})

describe('bun run bot with a bad environment', () => {
	test('missing DISCORD_TOKEN: one line naming it on stdout, exit 1', async () => {
		const bot = spawnLogged(['bun', 'run', 'bot'], { LOG_FORMAT: 'json' })
		expect(await bot.finished).toBe(1)
		const lines = bot.output().split('\n[stderr]')[0]!.trim().split('\n')
		expect(lines).toHaveLength(1)
		expect(lines[0]).toStartWith('DISCORD_TOKEN: ')
	}, 15_000)

	test('shard ids without a count: one line naming DISCORD_SHARD_IDS, exit 1', async () => {
		const bot = spawnLogged(['bun', 'src/bot/index.ts'], { DISCORD_TOKEN: 'x', DISCORD_SHARD_IDS: '0-1' })
		expect(await bot.finished).toBe(1)
		const lines = bot.output().split('\n[stderr]')[0]!.trim().split('\n')
		expect(lines).toEqual([
			'DISCORD_SHARD_IDS: expected DISCORD_SHARD_COUNT to be set too (ids are shards of a fixed total)',
		])
	}, 15_000)

	test('bad tracing variables: one line each with the other bad variables, exit 1', async () => {
		const bot = spawnLogged(['bun', 'src/bot/index.ts'], {
			DISCORD_TOKEN: 'x',
			BOT_METRICS_PORT: 'nine',
			OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/?key=secret-value',
			OTEL_TRACES_SAMPLER_ARG: '2',
			OTEL_TRACES_SAMPLER: 'traceidratio',
		})
		expect(await bot.finished).toBe(1)
		const lines = bot.output().split('\n[stderr]')[0]!.trim().split('\n')
		expect(lines.map((line) => line.slice(0, line.indexOf(':')))).toEqual([
			'BOT_METRICS_PORT',
			'OTEL_EXPORTER_OTLP_ENDPOINT',
			'OTEL_TRACES_SAMPLER_ARG',
		])
		expect(bot.output()).not.toContain('secret-value')
	}, 15_000)

	test('invalid BOT_METRICS_PORT: names the variable, exit 1', async () => {
		const bot = spawnLogged(['bun', 'src/bot/index.ts'], { DISCORD_TOKEN: 'x', BOT_METRICS_PORT: 'nine' })
		expect(await bot.finished).toBe(1)
		expect(bot.output().trim().split('\n')[0]).toStartWith('BOT_METRICS_PORT: ')
	}, 15_000)
})
