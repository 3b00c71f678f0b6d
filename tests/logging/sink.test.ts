import { describe, expect, test } from 'bun:test'
import {
	BATCH_CHARS,
	batchedSink,
	type ChunkWriter,
	createLogger,
	flushLogs,
	type LineSink,
	loggerFor,
	stdoutSink,
} from '../../src/observability/logger'
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

/** Stands in for Bun's FileSink: records each chunk it is handed. */
class RecordingWriter implements ChunkWriter {
	readonly chunks: string[] = []
	flushes = 0
	fail: Error | undefined

	write(chunk: string): number {
		if (this.fail) throw this.fail
		this.chunks.push(chunk)
		return chunk.length
	}

	flush(): number {
		this.flushes++
		return 0
	}
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('batchedSink (what stdout writes through)', () => {
	test('the lines of one event-loop turn leave as one chunk, in order, after the turn', async () => {
		const writer = new RecordingWriter()
		const sink = batchedSink(writer)
		for (let i = 0; i < 100; i++) sink.write(`line ${i}\n`)
		expect(writer.chunks).toHaveLength(0)
		await nextTurn()
		expect(writer.chunks).toEqual([Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('')])
		sink.write('next turn\n')
		await nextTurn()
		expect(writer.chunks).toHaveLength(2)
		expect(writer.chunks[1]).toBe('next turn\n')
	})

	test('a batch that reaches the size limit is written at once', () => {
		const writer = new RecordingWriter()
		const sink = batchedSink(writer)
		const line = `${'x'.repeat(1023)}\n`
		for (let i = 0; i < BATCH_CHARS / line.length; i++) sink.write(line)
		expect(writer.chunks).toHaveLength(1)
		expect(writer.chunks[0]).toHaveLength(BATCH_CHARS)
	})

	test('flush writes the pending batch, then flushes the writer', async () => {
		const writer = new RecordingWriter()
		const sink = batchedSink(writer)
		sink.write('a\n')
		await sink.flush()
		expect(writer.chunks).toEqual(['a\n'])
		expect(writer.flushes).toBe(1)
		await nextTurn()
		expect(writer.chunks).toHaveLength(1) // nothing written twice
	})

	test('a failing writer stops the sink instead of throwing', async () => {
		const writer = new RecordingWriter()
		writer.fail = new Error('EPIPE')
		const sink = batchedSink(writer)
		sink.write('a\n')
		expect(() => sink.flush()).not.toThrow()
		writer.fail = undefined
		sink.write('b\n')
		await nextTurn()
		expect(writer.chunks).toHaveLength(0)
	})
})
