/**
 * What route handlers get from the request plugin: `correlationId` and `log`, typed through
 * Elysia's inference, and an async context that belongs to the request alone.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'bun:test'
import type { LogLayer } from 'loglayer'
import { currentContext, currentCorrelationId } from '../../src/observability/context'
import { createTestApp, recorded, type TestApp } from '../helpers/app'

let t: TestApp
// What the handler saw after an await, deep in its own work.
const seen: { id: string | undefined; fromContext: string | undefined }[] = []
let captured: LogLayer | undefined

beforeAll(async () => {
	t = await createTestApp({ level: 'debug' })
	t.app.get('/test/context', async ({ correlationId, log }) => {
		expectTypeOf(correlationId).toEqualTypeOf<string>()
		expectTypeOf(log).toEqualTypeOf<LogLayer>()
		await Bun.sleep(1)
		seen.push({ id: correlationId, fromContext: currentCorrelationId() })
		log.withMetadata({ step: 'deep' }).info('Handler worked')
		return { correlationId }
	})
	t.app.get('/test/escape', ({ log }) => {
		captured = log
		return 'ok'
	})
})
afterAll(() => t.close())

const handle = (id: string) =>
	t.app.handle(new Request('http://localhost/test/context', { headers: { 'X-Correlation-ID': id } }))

describe('the handler context', () => {
	test('a handler written the obvious way gets correlationId and log from its context', async () => {
		t.clearLogs()
		const res = await t.request('GET', '/test/context', { headers: { 'X-Correlation-ID': 'ctx-1' } })
		expect(res.json).toEqual({ correlationId: 'ctx-1' })
		const line = t.logs().find((l) => l.event === 'Handler worked')
		expect(line).toMatchObject({ logger: 'api.http', correlation_id: 'ctx-1', step: 'deep' })
	})

	test('the log of a request carries its ID even where the async context is lost', async () => {
		await t.request('GET', '/test/escape', { headers: { 'X-Correlation-ID': 'kept-1' } })
		t.clearLogs()
		// Outside any request now: the module's own lines carry no ID, the request's logger still does.
		expect(currentContext()).toBeUndefined()
		captured?.info('Later')
		expect(t.logs()).toEqual([expect.objectContaining({ event: 'Later', correlation_id: 'kept-1' })])
	})

	test('app.handle() twice in one scope: two contexts, and none left in the caller', async () => {
		seen.length = 0
		expect(currentContext()).toBeUndefined()
		const first = await handle('scope-a')
		expect(currentContext()).toBeUndefined()
		const second = await handle('scope-b')
		expect(currentContext()).toBeUndefined()
		expect([first.headers.get('x-correlation-id'), second.headers.get('x-correlation-id')]).toEqual([
			'scope-a',
			'scope-b',
		])
		expect(seen).toEqual([
			{ id: 'scope-a', fromContext: 'scope-a' },
			{ id: 'scope-b', fromContext: 'scope-b' },
		])
		await recorded()
		expect(currentCorrelationId()).toBeUndefined()
	})

	test('concurrent app.handle() calls started in one scope never see each other', async () => {
		seen.length = 0
		const ids = Array.from({ length: 20 }, (_, i) => `conc-${i}`)
		const responses = await Promise.all(ids.map(handle))
		expect(responses.map((r) => r.headers.get('x-correlation-id'))).toEqual(ids)
		expect(seen.every((s) => s.id === s.fromContext)).toBe(true)
		expect(seen.map((s) => s.id).sort()).toEqual([...ids].sort())
		expect(currentContext()).toBeUndefined()
	})
})
