/** The reliability settings and the secret-safe database description. */
import { describe, expect, test } from 'bun:test'
import { ConfigError, describeDatabase, loadApiConfig, redactUrl } from '../../src/config'

describe('reliability configuration', () => {
	test('database timeouts have bounded defaults and are configurable', () => {
		expect(loadApiConfig({}, false)).toMatchObject({
			databaseConnectTimeoutMs: 3000,
			databaseStatementTimeoutMs: 5000,
			databaseOperationTimeoutMs: 6000,
			shutdownTimeoutMs: 10_000,
		})
		const custom = loadApiConfig(
			{
				DATABASE_CONNECT_TIMEOUT_MS: '500',
				DATABASE_STATEMENT_TIMEOUT_MS: '2000',
				DATABASE_OPERATION_TIMEOUT_MS: '2500',
			},
			false,
		)
		expect(custom).toMatchObject({
			databaseConnectTimeoutMs: 500,
			databaseStatementTimeoutMs: 2000,
			databaseOperationTimeoutMs: 2500,
		})
		for (const variable of [
			'DATABASE_CONNECT_TIMEOUT_MS',
			'DATABASE_STATEMENT_TIMEOUT_MS',
			'DATABASE_OPERATION_TIMEOUT_MS',
		])
			for (const bad of ['0', '-1', '1.5', 'soon'])
				expect(() => loadApiConfig({ [variable]: bad }, false)).toThrow(`${variable}: expected a whole number`)
	})

	test('an unparsable PostgreSQL URL is a one-line error that does not echo it', () => {
		for (const url of ['postgres://user:hunter2@[::1:1/db', 'postgres://user:hunter2@host:port/db']) {
			let error: unknown
			try {
				loadApiConfig({ DATABASE_URL: url }, false)
			} catch (e) {
				error = e
			}
			expect(error).toBeInstanceOf(ConfigError)
			expect((error as Error).message).toBe('DATABASE_URL: expected a valid postgres:// URL (it could not be parsed)')
		}
		// postgres.js's multi-host form stays valid.
		expect(loadApiConfig({ DATABASE_URL: 'postgres://u:p@db1:5432,db2:5432/byte' }, false).database.kind).toBe(
			'postgres',
		)
	})

	test('every form of a database password is masked', () => {
		const cases: [string, string][] = [
			['postgres://byte:hunter2@db:5432/byte', 'postgres://byte:***@db:5432/byte'],
			['postgres://byte:hun%40ter2@db/byte', 'postgres://byte:***@db/byte'],
			// An unescaped @ in the password: parsers split at the last @ of the authority.
			['postgres://byte:hunter2@x@db/byte', 'postgres://byte:***@db/byte'],
			[
				'postgres://byte@db/byte?sslmode=require&password=hunter2',
				'postgres://byte@db/byte?sslmode=require&password=***',
			],
			['postgres://byte@db/byte?sslpassword=hunter2', 'postgres://byte@db/byte?sslpassword=***'],
			['postgres://u:p@db1:5432,db2:5432/byte', 'postgres://u:***@db1:5432,db2:5432/byte'],
			['postgres://db/byte', 'postgres://db/byte'],
		]
		for (const [url, masked] of cases) expect(redactUrl(url)).toBe(masked)
		expect(describeDatabase({ kind: 'postgres', url: 'postgresql://a:hunter2@h/d?password=hunter2' })).not.toContain(
			'hunter2',
		)
	})
})
