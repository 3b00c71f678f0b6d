import { describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { ConfigError, describeDatabase, isLoopbackHost, loadApiConfig, parseDatabaseUrl } from '../src/config'

describe('configuration', () => {
	test('defaults match README "Environment"', () => {
		const config = loadApiConfig({}, false)
		expect(config).toMatchObject({
			host: '127.0.0.1',
			port: 8000,
			database: { kind: 'pglite-disk', path: resolve('.data/pglite') },
			logFormat: 'json',
			logLevel: 'info',
			metricsToken: undefined,
			apiTokens: [],
			bodyLimitBytes: 1048576,
			shutdownTimeoutMs: 10000,
		})
		expect(loadApiConfig({}, true).logFormat).toBe('pretty')
	})

	test('DATABASE_URL selects the backend', () => {
		expect(parseDatabaseUrl('postgres://u:p@db:5432/byte')).toEqual({
			kind: 'postgres',
			url: 'postgres://u:p@db:5432/byte',
		})
		expect(parseDatabaseUrl('postgresql://db/byte').kind).toBe('postgres')
		expect(parseDatabaseUrl('memory://')).toEqual({ kind: 'pglite-memory' })
		expect(parseDatabaseUrl('file:///var/lib/byte')).toEqual({ kind: 'pglite-disk', path: '/var/lib/byte' })
		expect(parseDatabaseUrl('file:data/x')).toEqual({ kind: 'pglite-disk', path: resolve('data/x') })
		expect(parseDatabaseUrl('./data')).toEqual({ kind: 'pglite-disk', path: resolve('data') })
		expect(parseDatabaseUrl('/srv/byte')).toEqual({ kind: 'pglite-disk', path: '/srv/byte' })
	})

	test('a bad value names the variable and what was expected', () => {
		const bad: [Record<string, string>, string][] = [
			[
				{ DATABASE_URL: 'mysql://root@localhost/byte' },
				'DATABASE_URL: expected postgres://, postgresql://, memory://, a file: URL or a directory path',
			],
			[{ DATABASE_URL: 'sqlite:byte.db' }, 'DATABASE_URL: expected'],
			[{ PORT: '65536' }, 'PORT: expected an integer port from 0 to 65535'],
			[{ PORT: '80a' }, 'PORT: expected'],
			[{ HOST: 'bad host' }, 'HOST: expected'],
			[{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: expected one of debug, info, warning, error, critical'],
			[{ LOG_FORMAT: 'yaml' }, 'LOG_FORMAT: expected json or pretty'],
			[{ METRICS_TOKEN: 'has space' }, 'METRICS_TOKEN: expected printable ASCII with no spaces'],
			[{ BODY_LIMIT_BYTES: '0' }, 'BODY_LIMIT_BYTES: expected a whole number'],
			[{ SHUTDOWN_TIMEOUT_MS: '-5' }, 'SHUTDOWN_TIMEOUT_MS: expected a whole number'],
		]
		for (const [env, message] of bad) {
			expect(() => loadApiConfig(env, false)).toThrow(ConfigError)
			expect(() => loadApiConfig(env, false)).toThrow(message)
		}
		expect(loadApiConfig({ LOG_LEVEL: 'WARN' }, false).logLevel).toBe('warning')
	})

	test('every bad variable is reported at once, one line each', () => {
		let error: unknown
		try {
			loadApiConfig({ PORT: 'abc', LOG_LEVEL: 'loud', HOST: 'bad host', API_TOKEN: 'a b' }, false)
		} catch (e) {
			error = e
		}
		expect(error).toBeInstanceOf(ConfigError)
		const config = error as ConfigError
		expect(config.lines).toEqual([
			'HOST: expected a host name or IP address',
			'PORT: expected an integer port from 0 to 65535',
			'LOG_LEVEL: expected one of debug, info, warning, error, critical',
			'API_TOKEN: expected comma-separated tokens of printable ASCII with no spaces',
		])
		expect(config.message).toBe(config.lines.join('\n'))
		expect(config.variable).toBe('HOST')
	})

	test('API_TOKEN holds one or more comma-separated tokens', () => {
		expect(loadApiConfig({}, false).apiTokens).toEqual([])
		expect(loadApiConfig({ API_TOKEN: 'new-token' }, false).apiTokens).toEqual(['new-token'])
		expect(loadApiConfig({ API_TOKEN: 'new-token, old-token' }, false).apiTokens).toEqual(['new-token', 'old-token'])
		for (const bad of ['a,,b', 'a,', 'tab\there', 'ünï'])
			expect(() => loadApiConfig({ API_TOKEN: bad }, false)).toThrow('API_TOKEN: expected')
	})

	test('loopback hosts', () => {
		for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true)
		for (const host of ['0.0.0.0', '::', '192.168.1.10', 'api.example.org', '128.0.0.1'])
			expect(isLoopbackHost(host)).toBe(false)
	})

	test('the printable database description masks the password', () => {
		expect(describeDatabase({ kind: 'postgres', url: 'postgres://byte:hunter2@db:5432/byte' })).toBe(
			'postgres://byte:***@db:5432/byte',
		)
	})
})

describe('CORS_ORIGINS', () => {
	test('a comma-separated list of origins; default none', () => {
		expect(loadApiConfig({}, false).corsOrigins).toEqual([])
		expect(
			loadApiConfig({ CORS_ORIGINS: 'https://admin.example.com, http://localhost:5173' }, false).corsOrigins,
		).toEqual(['https://admin.example.com', 'http://localhost:5173'])
	})

	test('anything but bare origins is refused, naming the variable', () => {
		for (const value of ['*', 'admin.example.com', 'https://admin.example.com/', 'https://a.example/path', 'ftp://x']) {
			expect(() => loadApiConfig({ CORS_ORIGINS: value }, false)).toThrow(
				'CORS_ORIGINS: expected comma-separated origins such as https://example.com',
			)
		}
	})
})
