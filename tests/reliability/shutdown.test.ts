/**
 * Graceful shutdown of the real API process: slow requests are made slow for real (their
 * queries wait on a table lock the test holds in its own PostgreSQL server), then the
 * process gets SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import postgres from 'postgres'
import { createPgServer, lockGuildTable, type PgServer, requirePostgresBinaries } from '../helpers/pg-server'
import { type ApiProcess, startApi } from '../helpers/process'
import { call, eventually, type Reply } from './helpers'

const enabled = requirePostgresBinaries('graceful shutdown')

/** Resolves to how a TCP connection attempt ended: `connected` or the error code. */
function tryConnect(port: number): Promise<string> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1')
		socket.once('connect', () => {
			socket.destroy()
			resolve('connected')
		})
		socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
	})
}

describe.skipIf(!enabled)('graceful shutdown (own PostgreSQL server)', () => {
	let pg: PgServer
	const apis: ApiProcess[] = []
	const clients: postgres.Sql[] = []
	let databases = 0

	beforeAll(async () => {
		pg = await createPgServer()
	}, 30_000)
	afterAll(async () => {
		for (const api of apis) await api.stop('SIGKILL')
		for (const client of clients) await client.end({ timeout: 0 }).catch(() => {})
		await pg?.destroy()
	})

	async function setUp(env: Record<string, string> = {}) {
		const name = `shutdown_${++databases}`
		await pg.admin().unsafe(`create database ${name}`)
		const api = await startApi({ DATABASE_URL: pg.urlFor(name), LOG_LEVEL: 'info', ...env })
		apis.push(api)
		for (let i = 1; i <= 3; i++) {
			const res = await call(api, 'POST', '/api/guilds', { body: { guildId: `${i}`, guildName: `Guild ${i}` } })
			expect(res.status).toBe(201)
		}
		const holder = postgres(pg.urlFor(name), { max: 1, onnotice: () => {} })
		clients.push(holder)
		return { api, holder }
	}

	/** Waits until `n` of the API's queries are blocked on the lock inside PostgreSQL. */
	async function blockedQueries(n: number) {
		await eventually(
			async () => {
				const [row] = await pg.admin()`
				select count(*)::int as n from pg_stat_activity
				where application_name = 'byte-api' and wait_event_type = 'Lock'`
				return row?.n === n
			},
			5000,
			`${n} queries waiting on the lock`,
		)
	}

	test('SIGTERM drains in-flight requests with full responses, refuses new connections, closes the pool, exits 0', async () => {
		const { api, holder } = await setUp()
		const release = await lockGuildTable(holder)
		const requests: Promise<Reply>[] = [
			call(api, 'GET', '/api/guilds/1', { headers: { 'X-Correlation-ID': 'drain-1' } }),
			call(api, 'GET', '/api/guilds/2', { headers: { 'X-Correlation-ID': 'drain-2' } }),
			call(api, 'PATCH', '/api/guilds/3', {
				body: { guildName: 'Renamed while draining' },
				headers: { 'X-Correlation-ID': 'drain-3' },
			}),
			call(api, 'GET', '/api/guilds?limit=10', { headers: { 'X-Correlation-ID': 'drain-4' } }),
		]
		// The list runs its page and its count side by side: five queries for four requests.
		await blockedQueries(requests.length + 1)

		const logFrom = pg.log().length
		const signalled = performance.now()
		api.proc.kill('SIGTERM')
		await api.waitForLine((l) => l.event === 'Shutting down')
		// The listening socket is closed at once: a new client is refused, not queued.
		expect(await tryConnect(api.port)).toBe('ECONNREFUSED')
		expect(api.proc.exitCode).toBeNull()

		await Bun.sleep(1000)
		await release()
		const replies = await Promise.all(requests)
		const code = await api.proc.exited
		const elapsed = performance.now() - signalled

		expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200])
		expect(replies[0]!.json).toMatchObject({ guildId: '1', guildName: 'Guild 1' })
		expect(replies[1]!.json).toMatchObject({ guildId: '2', guildName: 'Guild 2' })
		expect(replies[2]!.json).toMatchObject({ guildId: '3', guildName: 'Renamed while draining' })
		expect(replies[3]!.json.items).toHaveLength(3)
		expect(code).toBe(0)
		expect(elapsed).toBeLessThan(10_000)

		const logs = api.logs()
		expect(logs.find((l) => l.event === 'Shutting down')).toMatchObject({
			signal: 'SIGTERM',
			in_flight: 4,
			timeout_ms: 10_000,
		})
		expect(logs.at(-1)).toMatchObject({
			level: 'info',
			logger: 'api.main',
			event: 'Shutdown complete',
			drained: 4,
			abandoned: 0,
			timed_out: false,
			database_closed: true,
		})
		for (const id of ['drain-1', 'drain-2', 'drain-3', 'drain-4'])
			expect(logs.some((l) => l.correlation_id === id && l.event === 'Request completed' && l.status === 200)).toBe(
				true,
			)
		// The pool was closed, not dropped: every session said goodbye (a Terminate message), so
		// PostgreSQL logged no "unexpected EOF" (it does when the process is killed), and none
		// is left behind.
		const [left] = await pg.admin()`select count(*)::int as n from pg_stat_activity where application_name = 'byte-api'`
		expect(left?.n).toBe(0)
		const serverLog = pg.log().slice(logFrom)
		expect(serverLog).toContain('disconnection: session time')
		expect(serverLog).not.toContain('unexpected EOF on client connection')
		// The row changed during the drain is really stored.
		const [row] = await holder`select guild_name from guild where guild_id = 3`
		expect(row?.guild_name).toBe('Renamed while draining')
	}, 30_000)

	test('requests still running at SHUTDOWN_TIMEOUT_MS are cut off and the process exits 0 within the bound', async () => {
		const { api, holder } = await setUp({ SHUTDOWN_TIMEOUT_MS: '1500' })
		const release = await lockGuildTable(holder)
		try {
			const requests = [1, 2].map((i) =>
				call(api, 'GET', `/api/guilds/${i}`).then(
					(r) => `status ${r.status}`,
					(e: Error) => e.name,
				),
			)
			await blockedQueries(2)
			const signalled = performance.now()
			api.proc.kill('SIGTERM')
			const code = await api.proc.exited
			const elapsed = performance.now() - signalled
			expect(code).toBe(0)
			expect(elapsed).toBeGreaterThanOrEqual(1400)
			expect(elapsed).toBeLessThan(3500)
			// The clients learn at once that their requests were cut off; nothing hangs.
			for (const outcome of await Promise.all(requests)) expect(outcome).not.toStartWith('status 2')
			const logs = api.logs()
			expect(logs.find((l) => l.event === 'Shutdown timeout reached; closing remaining connections')).toMatchObject({
				level: 'warning',
				abandoned: 2,
			})
			expect(logs.at(-1)).toMatchObject({ event: 'Shutdown complete', drained: 0, abandoned: 2, timed_out: true })
		} finally {
			await release()
		}
	}, 30_000)

	test('SIGTERM during a database outage still exits 0 promptly', async () => {
		const { api } = await setUp()
		await pg.stop('fast')
		try {
			expect((await call(api, 'GET', '/api/guilds/1')).status).toBe(503)
			const signalled = performance.now()
			api.proc.kill('SIGTERM')
			expect(await api.proc.exited).toBe(0)
			// The pool's failed connection is cut after a short wait instead of holding the exit.
			expect(performance.now() - signalled).toBeLessThan(3000)
			expect(api.logs().at(-1)).toMatchObject({ event: 'Shutdown complete', drained: 0, timed_out: false })
		} finally {
			await pg.start()
		}
	}, 30_000)

	test('SIGTERM with nothing in flight exits 0 at once', async () => {
		const { api } = await setUp()
		const signalled = performance.now()
		api.proc.kill('SIGTERM')
		expect(await api.proc.exited).toBe(0)
		expect(performance.now() - signalled).toBeLessThan(2000)
		expect(api.logs().at(-1)).toMatchObject({
			event: 'Shutdown complete',
			drained: 0,
			timed_out: false,
			database_closed: true,
		})
	}, 30_000)
})
