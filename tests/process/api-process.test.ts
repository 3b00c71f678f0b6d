/** The real entrypoint as a user runs it: start-up, the seed's curl, restarts, shutdown. */
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { type ApiProcess, runApiOnce, startApi, tempDir } from '../helpers/process'

const started: ApiProcess[] = []
const dirs: string[] = []
afterAll(async () => {
	for (const api of started) await api.stop('SIGKILL')
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('API process', () => {
	test('the seed example: the ID comes back and is on every log line of the request', async () => {
		const api = await startApi({ DATABASE_URL: 'memory://', LOG_LEVEL: 'debug' })
		started.push(api)
		const res = await fetch(`${api.url}/api/guilds/123`, { headers: { 'X-Correlation-ID': 'my-custom-id-123' } })
		expect(res.status).toBe(404)
		expect(res.headers.get('x-correlation-id')).toBe('my-custom-id-123')
		const done = await api.waitForLine(
			(l) => l.event === 'Request completed' && l.correlation_id === 'my-custom-id-123',
		)
		expect(done).toMatchObject({
			level: 'info',
			logger: 'api.http',
			method: 'GET',
			path: '/api/guilds/123',
			endpoint: '/api/guilds/:guildId',
			status: 404,
		})
		expect(typeof done.duration_ms).toBe('number')
		expect(new Date(done.timestamp).toISOString()).toBe(done.timestamp)
		const mine = api.logs().filter((l) => l.correlation_id === 'my-custom-id-123')
		expect(mine.map((l) => l.logger)).toContain('api.db')
		// stdout is JSON only, and nothing goes to stderr.
		expect(() => api.logs()).not.toThrow()
		expect(api.stderr()).toBe('')
		const listening = api.logs().find((l) => l.event === 'API listening')
		expect(listening).toMatchObject({ logger: 'api.main', database: 'memory:// (PGlite in memory)' })
		expect(listening?.correlation_id).toBeUndefined()
	})

	test('the on-disk default keeps data across a restart', async () => {
		const dir = tempDir()
		dirs.push(dir)
		const first = await startApi({ DATABASE_URL: `${dir}/pglite` })
		const create = await fetch(`${first.url}/api/guilds`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ guildId: '1234567890123456789', guildName: 'Durable' }),
		})
		expect(create.status).toBe(201)
		expect(await first.stop('SIGTERM')).toBe(0)
		const second = await startApi({ DATABASE_URL: `file://${dir}/pglite` })
		started.push(second)
		const res = await fetch(`${second.url}/api/guilds/1234567890123456789`)
		expect(res.status).toBe(200)
		expect(((await res.json()) as { guildName: string }).guildName).toBe('Durable')
		expect(await second.stop('SIGINT')).toBe(0)
		expect(second.logs().find((l) => l.event === 'Shutdown complete')).toMatchObject({ logger: 'api.main' })
	})

	test('a bad variable stops start-up with one line naming it', async () => {
		const cases: [Record<string, string>, string][] = [
			[{ DATABASE_URL: 'mysql://root@localhost/byte' }, 'DATABASE_URL: expected postgres://, postgresql://, memory://'],
			[{ PORT: 'eighty' }, 'PORT: expected'],
			[{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of debug, info, warning, error, critical'],
			[{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT: expected json or pretty'],
		]
		for (const [env, message] of cases) {
			const { stdout, stderr, code } = await runApiOnce(env)
			expect(code).toBe(1)
			expect(stdout.trim().split('\n')).toHaveLength(1)
			expect(stdout).toStartWith(message)
			expect(stderr).toBe('')
		}
	})

	test('several bad variables: one line each, then exit 1', async () => {
		const { stdout, stderr, code } = await runApiOnce({ PORT: 'abc', LOG_LEVEL: 'loud' })
		expect(code).toBe(1)
		expect(stdout.trim().split('\n')).toEqual([
			'PORT: expected an integer port from 0 to 65535',
			'LOG_LEVEL: expected one of debug, info, warning, error, critical',
		])
		expect(stderr).toBe('')
	})

	test('HOST off loopback without API_TOKEN: a warning at start-up; with a token none', async () => {
		const open = await startApi({ DATABASE_URL: 'memory://', HOST: '0.0.0.0' })
		started.push(open)
		const warning = await open.waitForLine((l) => l.level === 'warning' && l.logger === 'api.main')
		expect(warning.event).toContain('API_TOKEN is not set')
		expect(warning.host).toBe('0.0.0.0')
		await open.stop()
		const closed = await startApi({ DATABASE_URL: 'memory://', HOST: '0.0.0.0', API_TOKEN: 'secret-token' })
		started.push(closed)
		await closed.waitForLine((l) => l.event === 'API listening')
		expect(closed.logs().filter((l) => l.level === 'warning')).toEqual([])
		expect(closed.logs().find((l) => l.event === 'API listening')?.api_protected).toBe(true)
	})
})
