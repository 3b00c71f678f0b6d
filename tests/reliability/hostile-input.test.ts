/**
 * Hostile and malformed input against the real API process, over `fetch` and raw sockets:
 * a seeded fuzz run (FUZZ_SEED reproduces one) plus the limits it must meet exactly.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { type ApiProcess, startApi } from '../helpers/process'
import { checkMetrics, requirePromtool } from '../helpers/promtool'
import { createTestApp } from '../helpers/app'
import { bodyOf, type FetchCase, fetchCase, MARKER, prng, type RawCase, rawCase, SECRETS } from './fuzz'
import { call } from './helpers'

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed)
const FETCH_CASES = 800
const RAW_CASES = 300
const BODY_LIMIT = 64 * 1024
const DISCORD_TOKEN = 'fuzz-discord-token-0c7d55'
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/
// Anything a log line must never contain raw (JSON.stringify escapes C0; the rest could
// still act on a terminal tailing the log).
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER']
const TEMPLATES = [
	'unmatched',
	'/health',
	'/health/live',
	'/health/ready',
	'/metrics',
	'/swagger',
	'/swagger/json',
	'/api/guilds',
	'/api/guilds/:guildId',
	'/api/guilds/:guildId/github',
	'/api/guilds/:guildId/sotags',
	'/api/guilds/:guildId/allowed-users',
	'/api/guilds/:guildId/forum',
]

interface Outcome {
	label: string
	status: number | string
	headerText: string
	/** Answered by Bun's HTTP parser before the app saw the request (no correlation ID). */
	byParser?: boolean
}

// What Bun 1.4.5's parser answers, then closes, to bytes it will not hand to the app:
// 400 (bad framing), 413 (maxRequestBodySize), 431 (header limits) and 505 (a request line
// it cannot parse: bare LF, control characters, unknown HTTP version). Never logged or counted.
const PARSER_REJECTION = /^HTTP\/1\.1 (400|413|431|505) [A-Za-z ]+\r\nConnection: close$/

/** Writes bytes on a fresh connection, half-closes, and returns what came back. */
function sendRaw(port: number, bytes: Uint8Array, timeoutMs = 5000): Promise<string> {
	return new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1')
		const chunks: Buffer[] = []
		const timer = setTimeout(() => {
			socket.destroy()
			resolve(`${Buffer.concat(chunks).toString('latin1')}\u0000TIMEOUT`)
		}, timeoutMs)
		socket.on('data', (d: Buffer) => chunks.push(d))
		socket.on('error', () => {})
		socket.on('close', () => {
			clearTimeout(timer)
			resolve(Buffer.concat(chunks).toString('latin1'))
		})
		socket.write(bytes, () => socket.end())
	})
}

async function runFetch(api: ApiProcess, c: FetchCase): Promise<Outcome> {
	try {
		const res = await fetch(`${api.url}${c.path}`, {
			method: c.method,
			headers: c.headers,
			body: bodyOf(c),
			signal: AbortSignal.timeout(10_000),
		})
		await res.arrayBuffer()
		let headerText = ''
		res.headers.forEach((v, k) => {
			headerText += `${k}: ${v}\n`
		})
		return { label: c.label, status: res.status, headerText }
	} catch (error) {
		return {
			label: c.label,
			status: `fetch failed: ${(error as Error).name} ${(error as Error).message}`,
			headerText: '',
		}
	}
}

async function runRaw(api: ApiProcess, c: RawCase): Promise<Outcome> {
	const text = await sendRaw(api.port, c.bytes)
	if (text.endsWith('\u0000TIMEOUT'))
		return { label: c.label, status: 'no answer and no close within 5 s', headerText: text }
	const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
	const headerText = text.split('\r\n\r\n')[0] ?? ''
	// Closing without a response is an acceptable answer to bytes that are not HTTP.
	if (!match) return { label: c.label, status: 'closed', headerText }
	const byParser = !/^x-correlation-id:/im.test(headerText)
	if (byParser && !(PARSER_REJECTION.test(headerText) && text.endsWith('\r\n\r\n')))
		return {
			label: c.label,
			status: `unexpected response without a correlation ID: ${JSON.stringify(text.slice(0, 200))}`,
			headerText,
		}
	return { label: c.label, status: Number(match[1]), headerText, byParser }
}

/** Runs `work` over `items` with at most `concurrency` at a time, keeping order. */
async function pool<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(items.length)
	let next = 0
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < items.length) {
				const i = next++
				results[i] = await work(items[i] as T)
			}
		}),
	)
	return results
}

function labelValues(exposition: string, metric: string, label: string): Set<string> {
	const values = new Set<string>()
	const pattern = new RegExp(`${label}="([^"]*)"`)
	for (const line of exposition.split('\n')) {
		if (!line.startsWith(`${metric}{`)) continue
		const m = pattern.exec(line)
		if (m) values.add(m[1] as string)
	}
	return values
}

function seriesCount(exposition: string, prefix: string): number {
	return exposition.split('\n').filter((l) => l.startsWith(prefix) && !l.startsWith('#')).length
}

const hasPromtool = requirePromtool('hostile input')

describe('hostile and malformed input (real process)', () => {
	let api: ApiProcess
	const metricsAuth = { authorization: `Bearer ${SECRETS.metricsToken}` }
	let baseline = ''

	beforeAll(async () => {
		api = await startApi({
			DATABASE_URL: 'memory://',
			LOG_LEVEL: 'debug',
			METRICS_TOKEN: SECRETS.metricsToken,
			DISCORD_TOKEN,
			BODY_LIMIT_BYTES: String(BODY_LIMIT),
		})
		// Guilds 1 and 2 are fuzz targets (they may be renamed or deleted); 424242 is never touched.
		for (const id of ['1', '2', '424242'])
			expect((await call(api, 'POST', '/api/guilds', { body: { guildId: id, guildName: `Guild ${id}` } })).status).toBe(
				201,
			)
		baseline = (await call(api, 'GET', '/metrics', { headers: metricsAuth })).text
	}, 30_000)
	afterAll(async () => {
		await api?.stop('SIGKILL')
	})

	describe(`seeded fuzz (FUZZ_SEED=${SEED})`, () => {
		let outcomes: Outcome[] = []
		let statuses = new Set<Outcome['status']>()
		let lines: string[] = []
		let scrape = ''

		beforeAll(async () => {
			const rng = prng(SEED)
			const fetchCases = Array.from({ length: FETCH_CASES }, (_, i) => fetchCase(rng, i))
			const rawCases = Array.from({ length: RAW_CASES }, (_, i) => rawCase(rng, i))
			outcomes = [
				...(await pool(fetchCases, 8, (c) => runFetch(api, c))),
				...(await pool(rawCases, 8, (c) => runRaw(api, c))),
			]
			statuses = new Set(outcomes.map((o) => o.status))
			// Every line of the fuzz is out once the access line of a request sent after it is.
			await call(api, 'GET', '/health/ready', { headers: { 'X-Correlation-ID': 'fuzz-finished' } })
			await api.waitForLine((l) => l.correlation_id === 'fuzz-finished' && l.event === 'Request completed')
			lines = api.lines()
			scrape = (await call(api, 'GET', '/metrics', { headers: metricsAuth })).text
		}, 60_000)

		test('no 5xx, every fetch answered by the app, nothing hostile echoed', () => {
			// No 5xx from the app; Bun's parser rejections are checked for their exact shape above.
			const failures = outcomes.filter((o) =>
				typeof o.status === 'string' ? o.status !== 'closed' : o.status >= 500 && !o.byParser,
			)
			expect(failures.map((f) => `${f.label} → ${f.status}`)).toEqual([])
			for (const o of outcomes.slice(0, FETCH_CASES))
				expect({ label: o.label, answered: /^x-correlation-id:/m.test(o.headerText) }).toEqual({
					label: o.label,
					answered: true,
				})
			// A rejected correlation ID is never echoed; an accepted one is always safe.
			const leaked = outcomes.filter((o) => o.headerText.includes(MARKER))
			expect(leaked.map((o) => o.label)).toEqual([])
			for (const o of outcomes) {
				const id = /^x-correlation-id: (.*)$/im.exec(o.headerText)?.[1]?.trim()
				if (id !== undefined) expect(id).toMatch(SAFE_ID)
				expect(o.headerText.toLowerCase()).not.toContain('polluted')
			}
			// Every status the fuzz produced; with each a 4xx or 2xx/3xx the run is meaningful.
			for (const expected of [200, 201, 400, 404, 413, 422])
				expect({ expected, seen: [...statuses] }).toEqual({ expected, seen: expect.arrayContaining([expected]) })
		})

		test('the process is alive and serving, with the data it had', async () => {
			expect(api.proc.exitCode).toBeNull()
			expect((await call(api, 'GET', '/health/live')).status).toBe(200)
			expect((await call(api, 'GET', '/health')).status).toBe(200)
			const guild = await call(api, 'GET', '/api/guilds/424242')
			expect(guild.json).toMatchObject({ guildId: '424242', guildName: 'Guild 424242' })
			expect(guild.text).not.toContain('polluted')
		})

		test('logs: one JSON object per line, nothing raw, no rejected ID, no secret', () => {
			expect(lines.length).toBeGreaterThan(FETCH_CASES)
			for (const line of lines) {
				expect(() => JSON.parse(line)).not.toThrow()
				expect(RAW_CONTROL.test(line)).toBe(false)
			}
			const stdout = lines.join('\n')
			expect(stdout).not.toContain(MARKER)
			for (const secret of [...Object.values(SECRETS), DISCORD_TOKEN]) expect(stdout).not.toContain(secret)
			expect(api.logs().some((l) => l.event === 'Invalid X-Correlation-ID replaced')).toBe(true)
			expect(api.stderr()).toBe('')
		})

		test('metrics: labels from fixed sets, nothing overflowed, other families unchanged', () => {
			for (const method of labelValues(scrape, 'http_requests_total', 'method'))
				expect(STANDARD_METHODS).toContain(method)
			for (const endpoint of labelValues(scrape, 'http_requests_total', 'endpoint'))
				expect(TEMPLATES).toContain(endpoint)
			for (const status of labelValues(scrape, 'http_requests_total', 'status')) expect(status).toMatch(/^[1-5]\d\d$/)
			expect(scrape.includes('"__overflow__"')).toBe(false)
			expect(/^metrics_series_dropped_total\{/m.test(scrape)).toBe(false)
			for (const family of [
				'db_queries_total',
				'db_query_duration_seconds',
				'db_errors_total',
				'guild_operations_total',
				'process_',
			])
				expect({ family, series: seriesCount(scrape, family) }).toEqual({
					family,
					series: seriesCount(baseline, family),
				})
			expect(seriesCount(scrape, 'http_requests_total')).toBeLessThanOrEqual(
				STANDARD_METHODS.length * TEMPLATES.length * statuses.size,
			)
		})

		test.skipIf(!hasPromtool)('metrics: promtool check metrics accepts the exposition', async () => {
			const check = await checkMetrics(scrape)
			expect(check.output).toBe('')
			expect(check.code).toBe(0)
		})
	})

	test('bodies over the limit are a JSON 413 with the correlation ID, declared or chunked', async () => {
		const big = JSON.stringify({ guildId: '9', guildName: 'x'.repeat(BODY_LIMIT) })
		const declared = await call(api, 'POST', '/api/guilds', { body: big, headers: { 'X-Correlation-ID': 'too-big' } })
		expect(declared.status).toBe(413)
		expect(declared.json.error).toEqual({
			code: 'PAYLOAD_TOO_LARGE',
			message: `Request body exceeds the limit of ${BODY_LIMIT} bytes`,
			correlation_id: 'too-big',
		})
		// No Content-Length: counted as it arrives, cut off at the limit.
		const half = big.slice(0, big.length / 2)
		const raw = await sendRaw(
			api.port,
			new TextEncoder().encode(
				`POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Correlation-ID: chunked-too-big\r\n` +
					`Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
					`${half.length.toString(16)}\r\n${half}\r\n${(big.length - half.length).toString(16)}\r\n${big.slice(half.length)}\r\n0\r\n\r\n`,
			),
		)
		expect(raw).toStartWith('HTTP/1.1 413 ')
		expect(raw).toContain('x-correlation-id: chunked-too-big')
		expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error).toMatchObject({
			code: 'PAYLOAD_TOO_LARGE',
			correlation_id: 'chunked-too-big',
		})
		// A chunked body within the limit is accepted as usual.
		const ok = JSON.stringify({ guildId: '10', guildName: 'Chunked' })
		const accepted = await sendRaw(
			api.port,
			new TextEncoder().encode(
				`POST /api/guilds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
					`${ok.length.toString(16)}\r\n${ok}\r\n0\r\n\r\n`,
			),
		)
		expect(accepted).toStartWith('HTTP/1.1 201 ')
		const scrape = await call(api, 'GET', '/metrics', { headers: metricsAuth })
		expect(scrape.text).toMatch(/^http_requests_total\{method="POST",endpoint="\/api\/guilds",status="413"\} [1-9]/m)
	})

	test("oversized headers and request lines get Bun's 431, and the server carries on", async () => {
		const header = await sendRaw(
			api.port,
			new TextEncoder().encode(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
		)
		expect(header).toStartWith('HTTP/1.1 431 ')
		const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: v\r\n`).join('')
		expect(
			await sendRaw(api.port, new TextEncoder().encode(`GET /health/live HTTP/1.1\r\nHost: x\r\n${many}\r\n`)),
		).toStartWith('HTTP/1.1 431 ')
		const line = await sendRaw(
			api.port,
			new TextEncoder().encode(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
		)
		expect(line).toStartWith('HTTP/1.1 431 ')
		expect((await call(api, 'GET', '/health/live')).status).toBe(200)
	})

	test('deeply nested JSON is refused at once instead of stalling the event loop', async () => {
		for (const body of ['['.repeat(60_000), `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
			const res = await call(api, 'POST', '/api/guilds', { body })
			expect(res.status).toBe(400)
			expect(res.json.error.code).toBe('MALFORMED_BODY')
			expect(res.ms).toBeLessThan(500)
		}
		const nul = await call(api, 'POST', '/api/guilds', { body: { guildId: '11', guildName: 'a\u0000b' } })
		expect(nul.status).toBe(422)
		expect(nul.json.error.message).toBe('body: text cannot contain NUL characters')
	})
})

describe('prototype pollution (in-process, where Object.prototype can be inspected)', () => {
	test('the fuzz bodies and queries leave Object.prototype untouched', async () => {
		const t = await createTestApp({ level: 'critical' })
		const before = Object.getOwnPropertyNames(Object.prototype).sort()
		const rng = prng(SEED)
		let sent = 0
		try {
			for (let i = 0; i < FETCH_CASES; i++) {
				const c = fetchCase(rng, i)
				let request: Request
				try {
					request = new Request(`http://localhost${c.path}`, {
						method: c.method,
						headers: c.headers,
						body: bodyOf(c),
						duplex: 'half',
					} as RequestInit)
				} catch {
					continue // not a request a client could send
				}
				const res = await t.app.handle(request)
				await res.arrayBuffer()
				expect({ label: c.label, status: res.status < 500 }).toEqual({ label: c.label, status: true })
				sent++
			}
			expect(sent).toBeGreaterThan(FETCH_CASES * 0.9)
			expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
			expect(({} as Record<string, unknown>).polluted).toBeUndefined()
			expect(Object.getPrototypeOf({})).toBe(Object.prototype)
		} finally {
			await t.close()
		}
	}, 60_000)
})
