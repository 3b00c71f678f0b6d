import { describe, expect, test } from 'bun:test'
import {
	currentContext,
	currentCorrelationId,
	enterContext,
	type RequestContext,
	runWithContext,
} from '../../src/observability/context'
import { loggerFor } from '../../src/observability/logger'
import { jsonLogger } from './helpers'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe('correlation_id from the async context', () => {
	test('present inside runWithContext, absent before and after', () => {
		const { log, sink } = jsonLogger()
		log.info('before')
		runWithContext({ correlationId: 'req-1' }, () => log.info('inside'))
		log.info('after')
		expect(sink.records().map((r) => [r.event, r.correlation_id])).toEqual([
			['before', undefined],
			['inside', 'req-1'],
			['after', undefined],
		])
		expect(currentCorrelationId()).toBeUndefined()
	})

	test('survives await, setTimeout, setImmediate, queueMicrotask and Promise.all deep in other modules', async () => {
		const { log, sink } = jsonLogger()
		const db = loggerFor(log, 'db')
		const service = loggerFor(log, 'api.guilds.service')

		async function repository() {
			await sleep(2)
			db.info('query after timer')
			await Promise.resolve()
			db.info('query after microtask')
		}

		await runWithContext({ correlationId: 'req-deep' }, async () => {
			service.info('start')
			await repository()
			await Promise.all([
				repository(),
				sleep(1).then(() => service.info('in Promise.all branch')),
				new Promise<void>((resolve) =>
					setTimeout(() => {
						service.info('in setTimeout callback')
						resolve()
					}, 3),
				),
				new Promise<void>((resolve) =>
					setImmediate(() => {
						service.info('in setImmediate callback')
						resolve()
					}),
				),
				new Promise<void>((resolve) =>
					queueMicrotask(() => {
						service.info('in microtask')
						resolve()
					}),
				),
			])
			service.info('end')
		})
		log.info('outside')

		const records = sink.records()
		expect(records).toHaveLength(11)
		const inside = records.filter((r) => r.event !== 'outside')
		for (const r of inside) expect(r.correlation_id).toBe('req-deep')
		expect(records.find((r) => r.event === 'outside')).not.toHaveProperty('correlation_id')
	})

	test('50 concurrent contexts never see each other’s ID', async () => {
		const { log, sink } = jsonLogger()
		const worker = loggerFor(log, 'worker')
		await Promise.all(
			Array.from({ length: 50 }, (_, i) =>
				runWithContext({ correlationId: `req-${i}` }, async () => {
					for (let step = 0; step < 4; step++) {
						// Different delays so the contexts interleave in every order.
						await sleep((i * 7 + step * 3) % 5)
						worker.withMetadata({ request: i, step }).info('step')
					}
				}),
			),
		)
		const records = sink.records()
		expect(records).toHaveLength(200)
		for (const r of records) expect(r.correlation_id).toBe(`req-${r.request}`)
		expect(new Set(records.map((r) => r.correlation_id)).size).toBe(50)
	})

	test('nested contexts: the inner one wins inside, the outer one returns after', () => {
		const { log, sink } = jsonLogger()
		runWithContext({ correlationId: 'outer' }, () => {
			runWithContext({ correlationId: 'inner' }, () => log.info('a'))
			log.info('b')
		})
		expect(sink.records().map((r) => r.correlation_id)).toEqual(['inner', 'outer'])
	})

	test('the context is read at the moment of logging, so later changes to it show up', () => {
		const { log, sink } = jsonLogger()
		const ctx: RequestContext = { correlationId: 'first' }
		runWithContext(ctx, () => {
			log.info('a')
			ctx.correlationId = 'replaced'
			log.info('b')
		})
		expect(sink.records().map((r) => r.correlation_id)).toEqual(['first', 'replaced'])
	})

	test('enterContext sets the context for the rest of an async scope (onRequest hooks)', async () => {
		const { log, sink } = jsonLogger()
		async function handleRequest(id: string) {
			await null // the hook runs in its own async scope, as under Bun.serve
			enterContext({ correlationId: id })
			await sleep(1)
			log.info('handled')
		}
		await Promise.all([handleRequest('x'), handleRequest('y')])
		expect(
			sink
				.records()
				.map((r) => r.correlation_id)
				.sort(),
		).toEqual(['x', 'y'])
		expect(currentContext()).toBeUndefined()
	})

	test('runWithContext returns what the callback returns', async () => {
		expect(runWithContext({ correlationId: 'r' }, () => 42)).toBe(42)
		expect(await runWithContext({ correlationId: 'r' }, async () => currentCorrelationId())).toBe('r')
	})
})

describe('trace_id and span_id from the async context', () => {
	test('follow correlation_id on every line inside a request or event, in that order', () => {
		const { log, sink } = jsonLogger()
		const ctx: RequestContext = {
			correlationId: 'req-1',
			traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
			spanId: '00f067aa0ba902b7',
		}
		runWithContext(ctx, () => log.withMetadata({ a: 1 }).info('inside'))
		log.info('outside')
		const [inside, outside] = sink.records()
		expect(Object.keys(inside ?? {})).toEqual([
			'timestamp',
			'level',
			'logger',
			'correlation_id',
			'trace_id',
			'span_id',
			'event',
			'a',
		])
		expect(inside).toMatchObject({ trace_id: ctx.traceId, span_id: ctx.spanId })
		expect(outside).not.toHaveProperty('trace_id')
	})

	test('a field named like them is renamed, never mistaken for them', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ trace_id: 'forged', spanId: 'forged' }).info('x')
		expect(sink.only()).toMatchObject({ field_trace_id: 'forged', field_span_id: 'forged' })
		expect(sink.only()).not.toHaveProperty('trace_id')
	})
})
