/**
 * Secrets never reach the output of the real API process: database passwords (in the
 * start-up line, in retry warnings, in postgres.js errors, in authentication failures),
 * METRICS_TOKEN, DISCORD_TOKEN, and the Authorization and Cookie headers of requests.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createPgServer, type PgServer, requirePostgresBinaries } from '../helpers/pg-server'
import { type ApiProcess, runApiOnce, spawnApi, startApi } from '../helpers/process'
import { call, causeCodes, eventually } from './helpers'

const SECRET = {
	dbPassword: 'hunter2-db-5c1f0e',
	wrongPassword: 'wrong-db-pass-77ad3b',
	metricsToken: 'metrics-token-a9e4d2',
	discordToken: 'discord-token-3b8c61',
	bearer: 'bearer-secret-f02d9c',
	cookie: 'cookie-secret-6e13b7',
} as const

function expectNoSecrets(api: Pick<ApiProcess, 'lines' | 'stderr'>) {
	const output = `${api.lines().join('\n')}\n${api.stderr()}`
	for (const [name, value] of Object.entries(SECRET))
		expect({ name, leaked: output.includes(value) }).toEqual({ name, leaked: false })
	// Nor any fragment long enough to matter (e.g. half a password after a mis-parsed '@').
	for (const value of Object.values(SECRET)) expect(output).not.toContain(value.slice(0, 10))
}

const baseEnv = { LOG_LEVEL: 'debug', METRICS_TOKEN: SECRET.metricsToken, DISCORD_TOKEN: SECRET.discordToken }
const enabled = requirePostgresBinaries('secrets')

describe('secrets stay out of the logs (real process)', () => {
	const apis: ApiProcess[] = []
	afterAll(async () => {
		for (const api of apis) await api.stop('SIGKILL')
	})

	test('connection errors and start-up retries never show the database password, whichever way it is given', async () => {
		const urls = [
			`postgres://byte:${SECRET.dbPassword}@127.0.0.1:1/byte`,
			// An unescaped '@' in the password: the URL parser splits at the last one.
			`postgres://byte:${SECRET.dbPassword}@x@127.0.0.1:1/byte`,
			`postgres://byte@127.0.0.1:1/byte?sslmode=disable&password=${SECRET.dbPassword}`,
		]
		for (const url of urls) {
			const api = await spawnApi({ ...baseEnv, DATABASE_URL: url, DATABASE_CONNECT_TIMEOUT_MS: '500' })
			apis.push(api)
			const warning = await api.waitForLine(
				(l) => l.event === 'Database not ready; retrying migrations' && l.attempt === 2,
			)
			expect(warning.database).toContain('***')
			expect(causeCodes(warning.error)).toContain('ECONNREFUSED')
			// SIGTERM while still retrying is an orderly exit, not a kill.
			expect(await api.stop('SIGTERM')).toBe(0)
			expect(api.logs().at(-1)).toMatchObject({ event: 'Shutdown complete', drained: 0 })
			expectNoSecrets(api)
		}
		// A URL postgres.js cannot parse would make it throw a TypeError quoting the URL.
		const bad = await runApiOnce({ ...baseEnv, DATABASE_URL: `postgres://byte:${SECRET.dbPassword}@[::1:1/byte` })
		expect(bad.code).toBe(1)
		expect(bad.stdout.trim()).toBe('DATABASE_URL: expected a valid postgres:// URL (it could not be parsed)')
		expectNoSecrets({ lines: () => [bad.stdout], stderr: () => bad.stderr })
	}, 30_000)

	describe.skipIf(!enabled)('against a PostgreSQL server that requires a password', () => {
		let pg: PgServer
		beforeAll(async () => {
			pg = await createPgServer({ password: SECRET.dbPassword })
		}, 30_000)
		afterAll(async () => {
			await pg?.destroy()
		})

		test('a wrong password is reported as an authentication failure without either password', async () => {
			const api = await spawnApi({
				...baseEnv,
				DATABASE_URL: pg.urlFor('postgres', `postgres:${SECRET.wrongPassword}`),
			})
			apis.push(api)
			const warning = await api.waitForLine((l) => l.event === 'Database not ready; retrying migrations')
			expect(causeCodes(warning.error)).toContain('28P01')
			expect(JSON.stringify(warning.error)).toContain('password authentication failed')
			expect(await api.stop('SIGTERM')).toBe(0)
			expectNoSecrets(api)
		}, 30_000)

		test('serving with a password, request credentials and an outage: nothing secret in any line', async () => {
			const api = await startApi({ ...baseEnv, DATABASE_URL: pg.url })
			apis.push(api)
			expect(pg.url).toContain(SECRET.dbPassword)
			const listening = api.logs().find((l) => l.event === 'API listening')
			expect(listening?.database).toBe(`postgres://postgres:***@127.0.0.1:${pg.port}/postgres`)

			const credentials = { authorization: `Bearer ${SECRET.bearer}`, cookie: `session=${SECRET.cookie}` }
			expect(
				(
					await call(api, 'POST', '/api/guilds', {
						body: { guildId: '1', guildName: 'Secretive' },
						headers: credentials,
					})
				).status,
			).toBe(201)
			expect((await call(api, 'GET', '/api/guilds/1', { headers: credentials })).status).toBe(200)
			expect((await call(api, 'GET', '/api/guilds/2', { headers: credentials })).status).toBe(404)
			expect((await call(api, 'GET', '/metrics', { headers: credentials })).status).toBe(401)
			expect(
				(await call(api, 'GET', '/metrics', { headers: { authorization: `Bearer ${SECRET.metricsToken}` } })).status,
			).toBe(200)
			expect(
				(
					await call(api, 'GET', '/metrics', {
						headers: { authorization: `Bearer ${SECRET.metricsToken.slice(0, -1)}x` },
					})
				).status,
			).toBe(401)

			// Error lines carry the driver's errors in full (message, stack, cause): still nothing.
			await pg.stop('fast')
			try {
				const failed = await call(api, 'GET', '/api/guilds/1', {
					headers: { ...credentials, 'X-Correlation-ID': 'secret-outage' },
				})
				expect(failed.status).toBe(503)
				await api.waitForLine((l) => l.correlation_id === 'secret-outage' && l.level === 'error')
			} finally {
				await pg.start()
			}
			await eventually(async () => (await call(api, 'GET', '/api/guilds/1')).status === 200, 5000, 'recovery')
			expect(await api.stop('SIGTERM')).toBe(0)
			expect(api.logs().some((l) => l.level === 'debug' && l.logger === 'api.db')).toBe(true)
			expectNoSecrets(api)
		}, 30_000)

		test('a password rotated under a running API is a 503 (not a 500) that names the cause, not the password', async () => {
			const api = await startApi({ ...baseEnv, DATABASE_URL: pg.url })
			apis.push(api)
			expect((await call(api, 'GET', '/api/guilds/777')).status).toBe(404)
			const admin = pg.admin()
			await admin.unsafe(`alter user postgres password '${SECRET.wrongPassword}'`)
			try {
				await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'byte-api'`
				// The first request may still meet a connection being torn down (also a 503); the
				// next ones open fresh connections and are refused by the server.
				let attempt = 0
				const line = await eventually(
					async () => {
						const id = `rotated-${++attempt}`
						const res = await call(api, 'GET', '/api/guilds/777', { headers: { 'X-Correlation-ID': id } })
						expect(res.status).toBe(503)
						expect(res.json.error.code).toBe('DATABASE_UNAVAILABLE')
						const failed = await api.waitForLine((l) => l.correlation_id === id && l.level === 'error')
						return causeCodes(failed.error).includes('28P01') && failed
					},
					5000,
					'an authentication failure',
				)
				expect(line.error.cause).toBeDefined()
				expect((await call(api, 'GET', '/health/ready')).status).toBe(503)
			} finally {
				await admin.unsafe(`alter user postgres password '${SECRET.dbPassword}'`)
			}
			await eventually(async () => (await call(api, 'GET', '/api/guilds/777')).status === 404, 5000, 'recovery')
			expect(await api.stop('SIGTERM')).toBe(0)
			expectNoSecrets(api)
		}, 30_000)
	})
})
