import { describe, expect, test } from 'bun:test'
import { createLogger, flushLogs, type LineSink, loggerFor, stdoutSink } from '../../src/observability/logger'
import { jsonLogger } from './helpers'

describe('sinks and flushing', () => {
	test('each log call hands the sink exactly one whole line', () => {
		const { log, sink } = jsonLogger()
		log.withMetadata({ text: 'multi\nline' }).info('a')
		log.withError(new Error('with\nstack')).error('b')
		expect(sink.chunks).toHaveLength(2)
		for (const chunk of sink.chunks) expect(chunk.indexOf('\n')).toBe(chunk.length - 1)
	})

	test('flushLogs flushes the sink, from the root or any child', async () => {
		const { log, sink } = jsonLogger()
		await flushLogs(log)
		await flushLogs(loggerFor(loggerFor(log, 'a'), 'b'))
		expect(sink.flushes).toBe(2)
	})

	test('flushLogs waits for an asynchronous flush and swallows its failure', async () => {
		let drained = false
		const slow: LineSink = {
			write() {},
			flush: () => new Promise<void>((resolve) => setTimeout(() => resolve(void (drained = true)), 5)),
		}
		await flushLogs(createLogger({ sink: slow }))
		expect(drained).toBe(true)

		const failing: LineSink = { write() {}, flush: () => Promise.reject(new Error('EPIPE')) }
		await expect(flushLogs(createLogger({ sink: failing }))).resolves.toBeUndefined()
	})

	test('the stdout sink is one instance per process, so lines from all loggers share one buffer', () => {
		expect(stdoutSink()).toBe(stdoutSink())
	})
})
