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
		})
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
	]
	for (const [variable, env] of bad) {
		test(`${variable}=${env[variable] ?? '(unset)'} is rejected naming ${variable}`, () => {
			const run = () => loadBotConfig({ DISCORD_TOKEN: 'token', ...env }, false)
			expect(run).toThrow(ConfigError)
			expect(run).toThrow(new RegExp(`^${variable}: `))
		})
	}
})

describe('bun run bot with a bad environment', () => {
	test('missing DISCORD_TOKEN: one line naming it on stdout, exit 1', async () => {
		const bot = spawnLogged(['bun', 'run', 'bot'], { LOG_FORMAT: 'json' })
		expect(await bot.proc.exited).toBe(1)
		await Bun.sleep(50) // let the stdout reader finish
		const lines = bot.output().split('\n[stderr]')[0]!.trim().split('\n')
		expect(lines).toHaveLength(1)
		expect(lines[0]).toStartWith('DISCORD_TOKEN: ')
	}, 15_000)

	test('invalid BOT_METRICS_PORT: names the variable, exit 1', async () => {
		const bot = spawnLogged(['bun', 'src/bot/index.ts'], { DISCORD_TOKEN: 'x', BOT_METRICS_PORT: 'nine' })
		expect(await bot.proc.exited).toBe(1)
		await Bun.sleep(50)
		expect(bot.output().trim().split('\n')[0]).toStartWith('BOT_METRICS_PORT: ')
	}, 15_000)
})
