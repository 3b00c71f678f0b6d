/**
 * Database outages against the real API process and a PostgreSQL server of the test's own:
 * the server is stopped, killed mid-query, frozen and started late, never mocked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { createPgServer, lockGuildTable, type PgServer, requirePostgresBinaries } from '../helpers/pg-server'
import { type ApiProcess, spawnApi, startApi } from '../helpers/process'
import { call, causeCodes, eventually, sampleSum } from './helpers'

const enabled = requirePostgresBinaries('database outage')
/** What a query cut off mid-flight reports, depending on timing. */
const CUT_OFF = ['57P01', 'ECONNRESET', 'CONNECTION_CLOSED']

describe.skipIf(!enabled)('database outage (own PostgreSQL server)', () => {
	let pg: PgServer
	const apis: ApiProcess[] = []
	let databases = 0

	beforeAll(async () => {
		pg = await createPgServer()
	}, 30_000)
	// A test that failed mid-outage must not take the next one down with it.
	beforeEach(async () => {
		pg.thaw()
		await pg.start()
	})
	afterAll(async () => {
		for (const api of apis) await api.stop('SIGKILL')
		await pg?.destroy()
	})

	/** A fresh database on the server (so tests share no rows) and an API process on it. */
	async function freshApi(env: Record<string, string> = {}) {
		const name = `outage_${++databases}`
		await pg.admin().unsafe(`create database ${name}`)
		const api = await startApi({ DATABASE_URL: pg.urlFor(name), LOG_LEVEL: 'info', ...env })
		apis.push(api)
		return { api, name }
	}

	const guild = (id: string, guildName: string) => ({ guildId: id, guildName })

	test('stopped server: 503 fast with the correlation ID, health says so, the rest keeps serving, and service resumes on restart', async () => {
		const { api } = await freshApi()
		expect((await call(api, 'POST', '/api/guilds', { body: guild('1001', 'Before the outage') })).status).toBe(201)
		expect(
			(await call(api, 'PUT', '/api/guilds/1001/sotags', { body: [{ tagName: 'bun' }, { tagName: 'postgres' }] }))
				.status,
		).toBe(200)

		await pg.stop('fast')
		try {
			const attempts: [string, string, unknown?][] = [
				['GET', '/api/guilds/1001'],
				['GET', '/api/guilds?limit=5'],
				['POST', '/api/guilds', guild('1002', 'During the outage')],
				['PATCH', '/api/guilds/1001', { guildName: 'Renamed' }],
				['GET', '/api/guilds/1001/sotags'],
				['DELETE', '/api/guilds/1001'],
			]
			for (const [i, [method, path, body]] of attempts.entries()) {
				const id = `outage-${i}`
				const res = await call(api, method, path, { body, headers: { 'X-Correlation-ID': id } })
				expect({ method, path, status: res.status }).toEqual({ method, path, status: 503 })
				expect(res.json.error).toEqual({
					code: 'DATABASE_UNAVAILABLE',
					message: 'The database is unavailable; try again shortly',
					correlation_id: id,
				})
				expect(res.headers.get('x-correlation-id')).toBe(id)
				// Bounded by DATABASE_CONNECT_TIMEOUT_MS (3 s); a refused connection fails at once.
				expect(res.ms).toBeLessThan(3500)
			}

			for (const path of ['/health', '/health/ready']) {
				const res = await call(api, 'GET', path)
				expect(res.status).toBe(503)
				expect(res.json).toEqual({ status: 'unavailable', database: 'unavailable' })
				expect(res.ms).toBeLessThan(1500)
			}
			expect((await call(api, 'GET', '/health/live')).status).toBe(200)
			const scrape = await call(api, 'GET', '/metrics')
			expect(scrape.status).toBe(200)
			expect(sampleSum(scrape.text, 'http_requests_total', { status: '503' })).toBeGreaterThanOrEqual(
				attempts.length + 2,
			)
			expect(sampleSum(scrape.text, 'http_requests_total', { endpoint: '/api/guilds/:guildId', status: '503' })).toBe(3)
			expect(sampleSum(scrape.text, 'guild_operations_total', { status: 'error' })).toBe(attempts.length)
			expect(sampleSum(scrape.text, 'guild_operations_total', { operation: 'fetch', status: 'error' })).toBe(3)
			expect(sampleSum(scrape.text, 'db_errors_total')).toBeGreaterThanOrEqual(attempts.length)

			// One error line per failed request, carrying the cause down to the driver's code.
			for (let i = 0; i < attempts.length; i++) {
				const id = `outage-${i}`
				await api.waitForLine((l) => l.correlation_id === id && l.event === 'Request failed')
				const errorLines = api
					.logs()
					.filter((l) => l.correlation_id === id && (l.level === 'error' || l.level === 'critical'))
				expect(errorLines).toHaveLength(1)
				expect(errorLines[0]).toMatchObject({ logger: 'api.http', status: 503, error: { name: 'AppError' } })
				expect(causeCodes(errorLines[0]!.error)).toContain('ECONNREFUSED')
			}
		} finally {
			await pg.start()
		}

		// No API restart: the pool reconnects on the next query.
		const started = performance.now()
		const back = await eventually(
			async () => {
				const res = await call(api, 'GET', '/api/guilds/1001')
				return res.status === 200 && res
			},
			5000,
			'recovery after the server restarted',
		)
		expect(performance.now() - started).toBeLessThan(5000)
		expect(back.json).toMatchObject({ guildId: '1001', guildName: 'Before the outage' })
		expect((await call(api, 'GET', '/api/guilds/1001/sotags')).json).toEqual([
			{ tagName: 'bun' },
			{ tagName: 'postgres' },
		])
		expect((await call(api, 'GET', '/api/guilds/1002')).status).toBe(404)
		expect((await call(api, 'GET', '/health/ready')).status).toBe(200)
		expect((await call(api, 'POST', '/api/guilds', { body: guild('1002', 'After the outage') })).status).toBe(201)
		expect(api.proc.exitCode).toBeNull()
	}, 30_000)

	test('queries cut off by a killed session or a server shutdown are 503s, and recovery needs no restart', async () => {
		const { api, name } = await freshApi()
		expect((await call(api, 'POST', '/api/guilds', { body: guild('2001', 'Locked') })).status).toBe(201)
		const holder = postgres(pg.urlFor(name), { max: 1, onnotice: () => {} })

		/** Holds a lock so the request's query is running inside PostgreSQL when the fault hits. */
		async function blockedRequest(id: string) {
			const release = await lockGuildTable(holder)
			const pending = call(api, 'GET', '/api/guilds/2001', { headers: { 'X-Correlation-ID': id } })
			const [waiting] = await eventually(
				async () => {
					const rows =
						await pg.admin()`select pid from pg_stat_activity where application_name = 'byte-api' and wait_event_type = 'Lock'`
					return rows.length === 1 && rows
				},
				5000,
				'the request blocking on the lock',
			)
			return {
				pid: waiting!.pid as number,
				pending,
				release,
			}
		}

		try {
			// An administrator (or a failover tool) terminates the session running the query.
			const killed = await blockedRequest('killed-session')
			await pg.admin()`select pg_terminate_backend(${killed.pid})`
			const res = await killed.pending
			await killed.release()
			expect(res.status).toBe(503)
			expect(res.json.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', correlation_id: 'killed-session' })
			const line = await api.waitForLine((l) => l.correlation_id === 'killed-session' && l.event === 'Request failed')
			// PostgreSQL sends FATAL 57P01 and closes; postgres.js 3.4.9 keeps that error until a
			// ReadyForQuery that never comes and reports the socket instead (ECONNRESET, or
			// CONNECTION_CLOSED). All of them classify as "unavailable".
			expect(causeCodes(line.error).some((c) => CUT_OFF.includes(c))).toBe(true)
			expect((await call(api, 'GET', '/api/guilds/2001')).status).toBe(200)

			// The whole server shuts down under a running query.
			const cut = await blockedRequest('cut-off')
			await pg.stop('fast')
			const res2 = await cut.pending
			expect(res2.status).toBe(503)
			expect(res2.json.error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', correlation_id: 'cut-off' })
			const line2 = await api.waitForLine((l) => l.correlation_id === 'cut-off' && l.event === 'Request failed')
			expect(causeCodes(line2.error).some((c) => CUT_OFF.includes(c))).toBe(true)
		} finally {
			await holder.end({ timeout: 0 }).catch(() => {})
			await pg.start()
		}
		// Stale pooled connections are dropped on close; the next query reconnects.
		expect((await call(api, 'GET', '/api/guilds/2001')).status).toBe(200)

		// Idle pooled sessions killed behind the API's back.
		await pg.admin()`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'byte-api'`
		const after: number[] = []
		for (let i = 0; i < 5; i++) after.push((await call(api, 'GET', '/api/guilds/2001')).status)
		// A request racing the kill may see it (503); none may be a 500, and the pool recovers.
		expect(after.every((s) => s === 200 || s === 503)).toBe(true)
		expect(after.at(-1)).toBe(200)
	}, 30_000)

	test('a database that refuses new sessions (ALLOW_CONNECTIONS false, SQLSTATE 55000) is a 503, counted as unavailable', async () => {
		const { api, name } = await freshApi()
		expect((await call(api, 'POST', '/api/guilds', { body: guild('5001', 'Closed for sessions') })).status).toBe(201)
		await pg.admin().unsafe(`alter database ${name} allow_connections false`)
		try {
			// Existing sessions survive the ALTER; end them so the pool has to open new ones.
			await pg.admin()`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`
			await eventually(
				async () => (await pg.admin()`select 1 from pg_stat_activity where datname = ${name}`).length === 0,
				5000,
				'the terminated sessions to be gone',
			)
			// The first request may still meet a pooled socket the API has not seen close yet.
			expect((await call(api, 'GET', '/api/guilds/5001')).status).toBe(503)
			for (const [i, [method, path, body]] of (
				[
					['GET', '/api/guilds/5001'],
					['POST', '/api/guilds', guild('5002', 'Refused')],
					['PUT', '/api/guilds/5001/allowed-users', [{ userId: '42' }]],
				] as [string, string, unknown?][]
			).entries()) {
				const id = `refused-${i}`
				const res = await call(api, method, path, { body, headers: { 'X-Correlation-ID': id } })
				expect({ method, path, status: res.status, code: res.json.error.code }).toEqual({
					method,
					path,
					status: 503,
					code: 'DATABASE_UNAVAILABLE',
				})
			}
			for (let i = 0; i < 3; i++) {
				const line = await api.waitForLine((l) => l.correlation_id === `refused-${i}` && l.event === 'Request failed')
				expect({ i, codes: causeCodes(line.error) }).toEqual({ i, codes: expect.arrayContaining(['55000']) })
			}
			const scrape = await call(api, 'GET', '/metrics')
			// Every failed attempt at a session counts, the PUT's transaction included (as its BEGIN).
			expect(sampleSum(scrape.text, 'db_errors_total', { kind: 'unavailable' })).toBeGreaterThanOrEqual(4)
			expect(
				sampleSum(scrape.text, 'db_errors_total', { operation: 'OTHER', kind: 'unavailable' }),
			).toBeGreaterThanOrEqual(1)
			expect(sampleSum(scrape.text, 'http_requests_total', { status: '500' })).toBe(0)
		} finally {
			await pg.admin().unsafe(`alter database ${name} allow_connections true`)
		}
		expect((await call(api, 'GET', '/api/guilds/5001')).status).toBe(200)
		expect((await call(api, 'GET', '/api/guilds/5002')).status).toBe(404)
	}, 30_000)

	test('a hung server (SIGSTOP) still yields 503 within DATABASE_OPERATION_TIMEOUT_MS, and resumes on SIGCONT', async () => {
		const { api } = await freshApi({ DATABASE_OPERATION_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '1000' })
		expect((await call(api, 'POST', '/api/guilds', { body: guild('3001', 'Frozen') })).status).toBe(201)
		await Promise.all(Array.from({ length: 4 }, () => call(api, 'GET', '/api/guilds/3001')))

		await pg.freeze()
		try {
			const results = await Promise.all([
				...Array.from({ length: 6 }, (_, i) =>
					call(api, 'GET', '/api/guilds/3001', { headers: { 'X-Correlation-ID': `hung-${i}` } }),
				),
				call(api, 'POST', '/api/guilds', { body: guild('3002', 'Never stored') }),
			])
			for (const res of results) {
				expect(res.status).toBe(503)
				expect(res.json.error.code).toBe('DATABASE_UNAVAILABLE')
				expect(res.ms).toBeLessThan(2500)
			}
			const health = await call(api, 'GET', '/health')
			expect(health.status).toBe(503)
			expect(health.ms).toBeLessThan(2000)
			expect((await call(api, 'GET', '/health/live', { timeoutMs: 1000 })).status).toBe(200)
			expect((await call(api, 'GET', '/metrics', { timeoutMs: 1000 })).status).toBe(200)
			const line = await api.waitForLine((l) => l.correlation_id === 'hung-0' && l.event === 'Request failed')
			expect(causeCodes(line.error)).toContain('DATABASE_TIMEOUT')
		} finally {
			pg.thaw()
		}
		const back = await eventually(
			async () => {
				const res = await call(api, 'GET', '/api/guilds/3001', { timeoutMs: 3000 })
				return res.status === 200 && res
			},
			8000,
			'recovery after SIGCONT',
		)
		expect(back.json.guildName).toBe('Frozen')
	}, 30_000)

	test('start-up while the database is down: retries with backoff, says why, becomes ready once it is up', async () => {
		const name = `outage_${++databases}`
		await pg.admin().unsafe(`create database ${name}`)
		await pg.stop('fast')
		let api: Awaited<ReturnType<typeof spawnApi>>
		try {
			api = await spawnApi({ DATABASE_URL: pg.urlFor(name), LOG_LEVEL: 'info' })
			apis.push(api)
			const first = await api.waitForLine(
				(l) => l.event === 'Database not ready; retrying migrations' && l.attempt === 2,
				10_000,
			)
			const retries = api.logs().filter((l) => l.event === 'Database not ready; retrying migrations')
			expect(retries[0]).toMatchObject({ level: 'warning', logger: 'api.main', attempt: 1, retry_in_ms: 500 })
			expect(first).toMatchObject({ level: 'warning', attempt: 2, retry_in_ms: 1000, database: pg.urlFor(name) })
			expect(causeCodes(first.error)).toContain('ECONNREFUSED')
			// Not listening yet: an orchestrator sees "not started", not "started and failing".
			expect(
				await fetch(`${api.url}/health/live`).then(
					() => 'answered',
					() => 'refused',
				),
			).toBe('refused')
		} finally {
			await pg.start()
		}
		// The next attempt is at most one backoff step (2 s here) after the server is up.
		const started = performance.now()
		await api.waitUntilLive(15_000)
		expect(performance.now() - started).toBeLessThan(8000)
		expect((await call(api, 'GET', '/health/ready')).status).toBe(200)
		expect((await call(api, 'POST', '/api/guilds', { body: guild('4001', 'Late start') })).status).toBe(201)
		expect(api.logs().some((l) => l.event === 'API listening')).toBe(true)
	}, 30_000)
})
