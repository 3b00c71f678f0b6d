import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let t: TestApp
beforeAll(async () => {
	t = await createTestApp()
	// An extra route on the real app, so a genuine unhandled exception can be observed.
	t.app.get('/test/boom', () => {
		throw new Error('kaboom')
	})
})
afterAll(() => t.close())

describe('correlation IDs', () => {
	test('a new UUID v4 is generated when none is sent, unique per request', async () => {
		const ids = new Set<string>()
		for (let i = 0; i < 20; i++) {
			const res = await t.request('GET', '/health/live')
			const id = res.headers.get('x-correlation-id') ?? ''
			expect(id).toMatch(UUID_V4)
			ids.add(id)
		}
		expect(ids.size).toBe(20)
	})

	test('a valid inbound ID is echoed', async () => {
		for (const id of ['my-custom-id-123', 'a', 'A.b_c:d-9', 'x'.repeat(128)]) {
			const res = await t.request('GET', '/health/live', { headers: { 'X-Correlation-ID': id } })
			expect(res.headers.get('x-correlation-id')).toBe(id)
		}
	})

	test('invalid inbound IDs are replaced and only their length is logged', async () => {
		for (const bad of ['x'.repeat(129), 'has space', 'semi;colon', '<script>', 'quote"d', 'ünïcode', '%0d%0a']) {
			t.clearLogs()
			const res = await t.request('GET', '/health/live', { headers: { 'X-Correlation-ID': bad } })
			const id = res.headers.get('x-correlation-id') ?? ''
			expect(id).toMatch(UUID_V4)
			const logs = t.logs()
			const warning = logs.find((l) => l.event === 'Invalid X-Correlation-ID replaced')
			expect(warning).toMatchObject({ level: 'warning', rejected_length: bad.length, correlation_id: id })
			expect(JSON.stringify(logs)).not.toContain(bad)
		}
	})

	test('an empty header is replaced', async () => {
		const res = await t.request('GET', '/health/live', { headers: { 'X-Correlation-ID': '' } })
		expect(res.headers.get('x-correlation-id')).toMatch(UUID_V4)
	})

	test('every response carries the header, including 404, 400, 422, 413 and 500', async () => {
		const cases: [string, string, unknown, number][] = [
			['GET', '/no/such/route', undefined, 404],
			['POST', '/api/guilds', '{not json', 400],
			['POST', '/api/guilds', { guildName: 'missing id' }, 422],
			['GET', '/api/guilds/abc', undefined, 422],
			['GET', '/test/boom', undefined, 500],
			['GET', '/api/guilds/42', undefined, 404],
		]
		for (const [method, path, body, status] of cases) {
			const id = `case-${status}-${method}`
			const res = await t.request(method, path, { body, headers: { 'X-Correlation-ID': id } })
			expect(res.status).toBe(status)
			expect(res.headers.get('x-correlation-id')).toBe(id)
			expect(res.headers.get('access-control-expose-headers')).toContain('X-Correlation-ID')
			expect(res.json.error.correlation_id).toBe(id)
		}
	})

	test('a 500 says nothing about the cause but logs it once with the stack', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/test/boom', { headers: { 'X-Correlation-ID': 'boom-1' } })
		expect(res.json.error).toEqual({
			code: 'INTERNAL_ERROR',
			message: 'Internal server error',
			correlation_id: 'boom-1',
		})
		expect(res.text).not.toContain('kaboom')
		const errors = t.logs().filter((l) => l.level === 'error')
		expect(errors).toHaveLength(1)
		expect(errors[0]).toMatchObject({ correlation_id: 'boom-1', status: 500, endpoint: '/test/boom' })
		const error = errors[0]?.error as { name: string; message: string; stack: string }
		expect(error.message).toBe('kaboom')
		expect(error.stack).toContain('correlation.test.ts')
	})

	test('every log line of a request carries its ID, down to the database layer', async () => {
		t.clearLogs()
		const id = 'trace-me-001'
		const res = await t.request('POST', '/api/guilds', {
			body: { guildId: '555', guildName: 'Traced' },
			headers: { 'X-Correlation-ID': id },
		})
		expect(res.status).toBe(201)
		const lines = t.logs()
		const loggers = new Set(lines.map((l) => l.logger))
		expect(loggers).toContain('api.db') // Drizzle query lines
		expect(loggers).toContain('api.guilds.service')
		expect(loggers).toContain('api.http')
		for (const line of lines) expect(line.correlation_id).toBe(id)
	})

	test('IDs do not mix under 50 concurrent requests', async () => {
		t.clearLogs()
		const ids = Array.from({ length: 50 }, (_, i) => `concurrent-${i}`)
		const responses = await Promise.all(
			ids.map((id, i) =>
				i % 2
					? t.request('POST', '/api/guilds', {
							body: { guildId: String(9000 + i), guildName: `c${i}` },
							headers: { 'X-Correlation-ID': id },
						})
					: t.request('GET', `/api/guilds/${8000 + i}`, { headers: { 'X-Correlation-ID': id } }),
			),
		)
		responses.forEach((res, i) => {
			expect(res.headers.get('x-correlation-id')).toBe(ids[i] as string)
			expect(res.json.guildId ?? res.json.error.correlation_id).toBe(i % 2 ? String(9000 + i) : (ids[i] as string))
		})
		const lines = t.logs()
		for (const id of ids) {
			const mine = lines.filter((l) => l.correlation_id === id)
			expect(mine.some((l) => l.event === 'Request completed')).toBe(true)
			const i = Number(id.split('-')[1])
			for (const line of mine) if (line.guild_id) expect(line.guild_id).toBe(String(9000 + i))
		}
		expect(lines.every((l) => typeof l.correlation_id === 'string' && ids.includes(l.correlation_id))).toBe(true)
	})
})

describe('correlation IDs over a raw socket', () => {
	let server: ReturnType<typeof Bun.serve>
	beforeAll(() => {
		server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => t.app.handle(req) })
	})
	afterAll(() => server.stop(true))

	async function raw(headerValue: string): Promise<string> {
		const { promise, resolve } = Promise.withResolvers<string>()
		let data = ''
		const socket = await Bun.connect({
			hostname: '127.0.0.1',
			port: server.port as number,
			socket: {
				data(_s, chunk) {
					data += Buffer.from(chunk).toString('latin1')
				},
				close() {
					resolve(data)
				},
				error() {
					resolve(data)
				},
			},
		})
		socket.write(
			`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: ${headerValue}\r\nConnection: close\r\n\r\n`,
		)
		return promise
	}

	test('values fetch would refuse are replaced, never reflected', async () => {
		for (const value of ['two words', 'tab\there', 'ctl\x01char', 'del\x7f', 'x'.repeat(4000), 'nul\x00byte']) {
			const response = await raw(value)
			const header = /x-correlation-id: ([^\r\n]*)/i.exec(response)?.[1]
			// Either our app answered with a fresh UUID, or Bun's parser refused the request outright.
			if (header !== undefined) expect(header).toMatch(UUID_V4)
			else expect(response).toMatch(/^HTTP\/1\.1 4\d\d/)
			expect(response).not.toContain(value)
		}
	})
})
