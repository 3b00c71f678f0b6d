/**
 * API_TOKEN: every /api/* request needs `Authorization: Bearer <token>`; health, /metrics
 * and the docs stay open (README "Reliability and security").
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { bearerVerifier, presentedBearer } from '../../src/server/bearer'
import { createTestApp, type TestApp } from '../helpers/app'

const TOKENS = ['current-token-123', 'previous-token-456']
let t: TestApp
let open: TestApp
beforeAll(async () => {
	t = await createTestApp({ apiTokens: TOKENS, metricsToken: 'metrics-only' })
	open = await createTestApp()
})
afterAll(async () => {
	await t.close()
	await open.close()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const guild = { guildId: '1234567890123456789', guildName: 'Authenticated' }

describe('with API_TOKEN set', () => {
	test('a request without a token is 401 UNAUTHORIZED with WWW-Authenticate and the correlation ID, nothing stored', async () => {
		const res = await t.request('POST', '/api/guilds', { body: guild, headers: { 'x-correlation-id': 'auth-1' } })
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toBe('Bearer')
		expect(res.headers.get('x-correlation-id')).toBe('auth-1')
		expect(res.json.error).toEqual({
			code: 'UNAUTHORIZED',
			message: 'A valid bearer token is required (Authorization: Bearer <API_TOKEN>)',
			correlation_id: 'auth-1',
		})
		expect((await t.request('GET', `/api/guilds/${guild.guildId}`, { headers: bearer(TOKENS[0]!) })).status).toBe(404)
	})

	test('every /api path needs it, unknown ones and invalid bodies included (checked before routing and parsing)', async () => {
		const cases: [string, string, unknown?][] = [
			['GET', '/api/guilds'],
			['GET', '/api/guilds?limit=0x10'],
			['GET', `/api/guilds/${guild.guildId}`],
			['PUT', `/api/guilds/${guild.guildId}/allowed-users`, [{ userId: 'not a snowflake' }]],
			['DELETE', `/api/guilds/${guild.guildId}`],
			['GET', '/api'],
			['GET', '/api/'],
			['GET', '/api/unknown/path'],
			['POST', '/api/guilds', '{"malformed": '],
		]
		for (const [method, path, body] of cases) {
			const res = await t.request(method, path, { body })
			expect({ method, path, status: res.status, code: res.json?.error?.code }).toEqual({
				method,
				path,
				status: 401,
				code: 'UNAUTHORIZED',
			})
		}
	})

	test('wrong, empty, other-scheme and padded tokens are refused', async () => {
		const headers = [
			'Bearer wrong',
			'Bearer ',
			'Bearer',
			`Basic ${btoa(`user:${TOKENS[0]}`)}`,
			`Bearer ${TOKENS[0]}x`,
			`Bearer ${TOKENS[0]!.slice(0, -1)}`,
			`Bearer ${TOKENS.join(',')}`,
			`Token ${TOKENS[0]}`,
			TOKENS[0]!,
		]
		for (const authorization of headers) {
			const res = await t.request('GET', '/api/guilds', { headers: { authorization } })
			expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 })
		}
	})

	test('each token of the list works, and the scheme is case-insensitive', async () => {
		const created = await t.request('POST', '/api/guilds', { body: guild, headers: bearer(TOKENS[1]!) })
		expect(created.status).toBe(201)
		for (const authorization of [
			`Bearer ${TOKENS[0]}`,
			`bearer ${TOKENS[0]}`,
			`BEARER ${TOKENS[1]}`,
			`Bearer  ${TOKENS[0]}`,
		]) {
			const res = await t.request('GET', `/api/guilds/${guild.guildId}`, { headers: { authorization } })
			expect({ authorization, status: res.status }).toEqual({ authorization, status: 200 })
		}
		const unknown = await t.request('GET', '/api/unknown', { headers: bearer(TOKENS[0]!) })
		expect(unknown.status).toBe(404)
	})

	test('health, the docs and /metrics (its own METRICS_TOKEN) are unaffected', async () => {
		for (const path of ['/health', '/health/live', '/health/ready', '/swagger', '/swagger/json'])
			expect({ path, status: (await t.request('GET', path)).status }).toEqual({ path, status: 200 })
		expect((await t.request('GET', '/metrics')).status).toBe(401)
		expect((await t.request('GET', '/metrics', { headers: bearer(TOKENS[0]!) })).status).toBe(401)
		expect((await t.request('GET', '/metrics', { headers: bearer('metrics-only') })).status).toBe(200)
		expect((await t.request('GET', '/nothing-here')).status).toBe(404)
	})

	test('a CORS preflight carries no credentials and is not refused for it', async () => {
		const res = await t.request('OPTIONS', '/api/guilds', {
			headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
		})
		expect(res.status).not.toBe(401)
	})

	test('401s are counted like any other status (as unmatched: refused before routing)', async () => {
		await t.request('GET', '/api/guilds')
		expect(t.sample('http_requests_total{method="GET",endpoint="unmatched",status="401"}')).toBeGreaterThan(0)
	})
})

describe('without API_TOKEN', () => {
	test('the API is open', async () => {
		expect((await open.request('POST', '/api/guilds', { body: guild })).status).toBe(201)
		expect((await open.request('GET', `/api/guilds/${guild.guildId}`)).status).toBe(200)
	})
})

describe('bearer header parsing', () => {
	test('scheme case-insensitive, one or more spaces, nothing after the token', () => {
		expect(presentedBearer('Bearer abc')).toBe('abc')
		expect(presentedBearer('bEaReR   abc')).toBe('abc')
		expect(presentedBearer('Bearer abc def')).toBe('')
		expect(presentedBearer('Bearerabc')).toBe('')
		expect(presentedBearer(null)).toBe('')
		expect(bearerVerifier('x')('bearer x')).toBe(true)
		expect(bearerVerifier('')('Bearer ')).toBe(false)
		expect(bearerVerifier(['x', 'y'])('Bearer y')).toBe(true)
	})
})
