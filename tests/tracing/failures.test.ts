/**
 * A collector that is down, refuses or hangs never fails or holds up the process: callers go
 * on, failures become one warning line per interval with counts, and shutdown is bounded by
 * its budget. The SIGTERM cases run a real child process.
 */
import { describe, expect, test } from 'bun:test'
import { runWithContext } from '../../src/observability/context'
import { closedPortUrl } from '../http-client/scripted-server'
import { exportingTracing, receivers } from './helpers'

const serve = receivers()
const FIXTURE = `${import.meta.dir}/fixtures/traced-process.ts`
/** Spans leave only when a test flushes. */
const manualBatches = { scheduledDelayMs: 600_000 }

/** Polls a condition (each check is cheap and synchronous) until it holds. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
		await Bun.sleep(5)
	}
}

/** The child's stdout, line by line as it arrives; `next(predicate)` awaits a matching JSON line. */
function stdoutLines(stream: ReadableStream<Uint8Array>) {
	const lines: Record<string, any>[] = []
	const waiting: { predicate: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }[] = []
	void (async () => {
		let buffered = ''
		const decoder = new TextDecoder()
		for await (const chunk of stream) {
			buffered += decoder.decode(chunk, { stream: true })
			let newline = buffered.indexOf('\n')
			while (newline !== -1) {
				const line = JSON.parse(buffered.slice(0, newline)) as Record<string, any>
				buffered = buffered.slice(newline + 1)
				lines.push(line)
				for (const w of waiting.splice(0)) {
					if (w.predicate(line)) w.resolve(line)
					else waiting.push(w)
				}
				newline = buffered.indexOf('\n')
			}
		}
	})()
	return {
		lines,
		next: (predicate: (l: Record<string, any>) => boolean) =>
			new Promise<Record<string, any>>((resolve) => {
				const found = lines.find(predicate)
				if (found) resolve(found)
				else waiting.push({ predicate, resolve })
			}),
	}
}

function spawnTraced(env: Record<string, string>) {
	const proc = Bun.spawn(['bun', FIXTURE], {
		env: { ...process.env, ...env },
		stdin: 'ignore',
		stdout: 'pipe',
		stderr: 'pipe',
	})
	return { proc, stdout: stdoutLines(proc.stdout) }
}

describe.each(['http/protobuf', 'http/json'] as const)('%s', (protocol) => {
	describe('a collector that is down', () => {
		test('callers never see it; one line at once, then the count since, at most once per interval', async () => {
			let now = 1_000_000
			const { tracing, sink } = await exportingTracing(closedPortUrl(), {
				protocol,
				tracing: { exportTimeoutMs: 200, batch: manualBatches, failureReport: { checkEveryMs: 5, now: () => now } },
			})
			const lines = () => sink.records().filter((r) => r.event === 'Span export failed')

			await runWithContext({ correlationId: 'request-that-ended-a-span' }, async () => {
				const span = tracing.startHttpServerSpan({ method: 'GET', url: 'http://h/x' })
				span.end({ status: 200 })
				expect(await tracing.forceFlush(5000)).toBe(false)
			})
			await until('the first failure line', () => lines().length === 1)
			expect(lines()[0]).toMatchObject({ level: 'warning', logger: 'api.tracing', failures: 1, spans_dropped: 1 })
			expect(lines()[0]!.reason).toBeString()
			// Written from the reporter's own timer, not from inside the request that ended the span.
			expect(lines()[0]!.correlation_id).toBeUndefined()

			// Two more failures within the minute: counted, not written.
			for (const name of ['b', 'c']) {
				tracing.startSpan(name).end()
				tracing.startSpan(`${name}2`).end()
				expect(await tracing.forceFlush(5000)).toBe(false)
			}
			now += 60_000
			await until('the second line', () => lines().length === 2)
			expect(lines()[1]).toMatchObject({ failures: 2, spans_dropped: 4, interval_s: 60 })

			// Shutdown reports what is left and says the spans were not flushed; it never throws.
			tracing.startSpan('last').end()
			expect(await tracing.shutdown(5000)).toEqual({ flushed: false })
			expect(lines()).toHaveLength(3)
			expect(lines()[2]).toMatchObject({ failures: 1, spans_dropped: 1 })
		})

		test('a collector that refuses the batch: its status line is the reason, its body never', async () => {
			const receiver = serve({
				respond: () => new Response('secret response body', { status: 400, statusText: 'Bad Request' }),
			})
			const { tracing, sink } = await exportingTracing(receiver.url, {
				protocol,
				tracing: { batch: manualBatches, failureReport: { checkEveryMs: 5 } },
			})
			tracing.startSpan('refused').end()
			expect(await tracing.forceFlush(5000)).toBe(false)
			await until('the failure line', () => sink.records().some((r) => r.event === 'Span export failed'))
			const line = sink.records().find((r) => r.event === 'Span export failed')!
			expect(line).toMatchObject({ failures: 1, spans_dropped: 1, reason: '400 Bad Request' })
			expect(sink.text).not.toContain('secret response body')
			await tracing.shutdown(2000)
		})
	})

	describe('a collector that hangs', () => {
		test('callers go on while an export is held, and shutdown gives up at its budget', async () => {
			let release: () => void = () => {}
			const held = new Promise<Response>((resolve) => {
				release = () => resolve(new Response(null, { status: 200 }))
			})
			let answered = 0
			const receiver = serve({ respond: () => held.then((r) => (answered++, r)) })
			const { tracing } = await exportingTracing(receiver.url, { protocol, tracing: { batch: manualBatches } })

			tracing.startSpan('first').end()
			const flushing = tracing.forceFlush(60_000)
			await receiver.waitForExports(1)

			// The export is at the collector, unanswered; requests keep starting and ending spans.
			const ended: string[] = []
			for (let i = 0; i < 5000; i++) {
				const span = tracing.startHttpServerSpan({ method: 'GET', url: `http://h/${i}` })
				span.end({ status: 200, route: '/:n' })
				ended.push(span.spanId)
			}
			expect(new Set(ended).size).toBe(5000)

			expect(await tracing.shutdown(300)).toEqual({ flushed: false })
			expect(answered).toBe(0)

			release()
			expect(await flushing).toBe(true)
		})
	})

	describe('SIGTERM', () => {
		test('the shutdown flushes every span still in the batch, then the process exits 0', async () => {
			const receiver = serve()
			const { proc, stdout } = spawnTraced({
				OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
				OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
			})
			const { traceId } = await stdout.next((l) => l.ready === true)
			expect(receiver.exports).toEqual([])

			proc.kill('SIGTERM')
			expect(await proc.exited).toBe(0)
			expect(stdout.lines.find((l) => l.shutdown)?.shutdown).toEqual({ flushed: true })
			expect(receiver.exports.map((e) => e.protocol)).toEqual([protocol])
			const spans = receiver.spans()
			expect(spans.map((s) => s.name).sort()).toEqual(['GUILD_CREATE', 'POST /api/guilds', 'POST /api/guilds'])
			expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]))
			expect(spans[0]!.resource['service.name']).toBe('byte-bot')
		})

		test('with a hung collector the process still exits 0 once the budget is spent', async () => {
			const receiver = serve({ respond: () => new Promise<Response>(() => {}) })
			const { proc, stdout } = spawnTraced({
				OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
				OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
				SHUTDOWN_BUDGET_MS: '300',
			})
			await stdout.next((l) => l.ready === true)

			proc.kill('SIGTERM')
			expect(await proc.exited).toBe(0)
			expect(stdout.lines.find((l) => l.shutdown)?.shutdown).toEqual({ flushed: false })
			// The batch did reach the collector; only its answer never came.
			expect(await receiver.waitForSpans(3)).toHaveLength(3)
		})
	})
})
