/**
 * Cost of one log line, formatted and written, ours against pino.
 *
 *   bun bench/logging.ts            # prints a summary
 *   bun bench/logging.ts --json     # what `bun run bench` reads (last line of stdout)
 *   bun bench/logging.ts --quick    # fewer rounds
 *
 * The line is the API's access line (5 fields, inside a request's async context). Ours and
 * pino write to the same sink, the API's stdout batching (batchedSink) over a Bun FileSink
 * on /dev/null, flushed every 256 lines as a server's event loop would; pino is configured to produce the same fields (ISO timestamp,
 * level name, logger, correlation_id from the async context, event). One more pino row uses
 * its default destination instead (SonicBoom, synchronous, a write per line), to /dev/null.
 * Cases run interleaved, best-of-rounds, so a noisy neighbour skews all of them alike.
 */
import pino from 'pino'
import { currentCorrelationId, runWithContext } from '../src/observability/context'
import { isoTimestamp } from '../src/observability/log-format'
import { batchedSink, createLogger, type LineSink, loggerFor, requestLogger } from '../src/observability/logger'

const LINES_PER_TURN = 256 // power of two

export interface LoggingResult {
	/** Best ns per line of each case, by label. */
	ns: Record<string, number>
}

export const CASES = {
	access: 'ours: access line (request logger, withMetadata().info(), what the API does)',
	loglayer: 'ours: same line, module logger inside the async context',
	pino: 'pino: same fields (mixin for correlation_id)',
	pinoPlain: 'pino: child logger, no mixin',
	pinoSonic: 'pino: same fields, default SonicBoom destination',
	floor: 'floor: JSON.stringify(object) + write',
	disabled: 'ours: disabled debug line (isLevelEnabled guard)',
} as const

export function runLogging(quick = false): LoggingResult {
	const rounds = quick ? 6 : 15
	const linesPerRound = quick ? 20_000 : 50_000
	const file = Bun.file('/dev/null').writer()
	// What stdout is in the API: lines batched per event-loop turn into one FileSink write.
	const sink: LineSink = batchedSink(file)
	const root = createLogger({ format: 'json', level: 'info', sink, name: 'api' })
	const http = loggerFor(root, 'api.http')
	const requestLog = requestLogger(http, { correlationId: '3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f' })

	const pinoOptions: pino.LoggerOptions = {
		base: { logger: 'api.http' },
		messageKey: 'event',
		timestamp: pino.stdTimeFunctions.isoTime,
		formatters: { level: (label) => ({ level: label }) },
	}
	const viaSink = pino({ ...pinoOptions, mixin: () => ({ correlation_id: currentCorrelationId() }) }, sink)
	const plain = pino(pinoOptions, sink).child({})
	const sonic = pino.destination({ dest: '/dev/null', sync: true })
	const viaSonic = pino({ ...pinoOptions, mixin: () => ({ correlation_id: currentCorrelationId() }) }, sonic)

	let n = 0
	// A fresh object per line, as the request hook builds one; the path varies like real traffic.
	const fields = () => ({
		method: 'GET',
		path: `/api/guilds/${1000 + (n++ & 1023)}`,
		endpoint: '/api/guilds/:guildId',
		status: 200,
		duration_ms: 1.734,
	})

	const cases: Record<string, () => void> = {
		[CASES.access]: () => requestLog.withMetadata(fields()).info('Request completed'),
		[CASES.loglayer]: () => http.withMetadata(fields()).info('Request completed'),
		[CASES.pino]: () => viaSink.info(fields(), 'Request completed'),
		[CASES.pinoPlain]: () => plain.info(fields(), 'Request completed'),
		[CASES.pinoSonic]: () => viaSonic.info(fields(), 'Request completed'),
		[CASES.floor]: () => {
			const line = JSON.stringify({
				timestamp: isoTimestamp(Date.now()),
				level: 'info',
				logger: 'api.http',
				correlation_id: currentCorrelationId(),
				event: 'Request completed',
				...fields(),
			})
			sink.write(`${line}\n`)
		},
		[CASES.disabled]: () => {
			if (http.isLevelEnabled('debug')) http.withMetadata(fields()).debug('Request completed')
		},
	}

	function once(body: () => void): number {
		const start = Bun.nanoseconds()
		for (let i = 0; i < linesPerRound; i++) {
			body()
			// A server's sinks flush once per event-loop turn; without this a round piles up in
			// the buffer and the GC dominates.
			if ((i & (LINES_PER_TURN - 1)) === 0) sink.flush()
		}
		sink.flush()
		return (Bun.nanoseconds() - start) / linesPerRound
	}

	const best: Record<string, number> = {}
	runWithContext({ correlationId: '3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f' }, () => {
		for (let round = 0; round < rounds; round++) {
			for (const [label, body] of Object.entries(cases)) {
				const ns = once(body)
				if (round >= 2) best[label] = Math.min(best[label] ?? Number.POSITIVE_INFINITY, ns) // 2 warm-up rounds
			}
		}
	})
	return { ns: best }
}

if (import.meta.main) {
	const result = runLogging(process.argv.includes('--quick'))
	if (process.argv.includes('--json')) {
		console.log(JSON.stringify(result))
	} else {
		for (const [label, ns] of Object.entries(result.ns))
			console.log(`${label.padEnd(52)} ${ns.toFixed(0).padStart(6)} ns/line`)
		const pinoNs = result.ns[CASES.pino] as number
		console.log(
			`\nours (access line) / pino, same fields and sink   ${((result.ns[CASES.access] as number) / pinoNs).toFixed(2)}×`,
		)
	}
	process.exit(0)
}
