/**
 * Reports failed span exports without flooding the log (README "Tracing (W3C Trace Context,
 * OpenTelemetry)"): a collector that is down fails every batch, so failures are counted as they
 * happen and written as at most one `warning` line per interval, with the counts since the
 * previous line.
 *
 * The line is written from a timer created with the reporter at start-up, never from the
 * export's own callback: an export may have been started by a span ending inside some request,
 * and its callback runs in that request's async context, whose correlation ID would then be
 * stamped on a line that has nothing to do with it.
 */
import type { ILogLayer } from 'loglayer'

export interface ExportFailureReporterOptions {
	readonly logger: ILogLayer
	/** At most one line per this many milliseconds (default 60 000). */
	readonly intervalMs?: number
	/** How often pending failures are looked at (default 1000): the delay of the first line. */
	readonly checkEveryMs?: number
	/** Milliseconds, for the interval (default `Date.now`). */
	readonly now?: () => number
}

export interface ExportFailureReporter {
	/** Counts one failed export of `spans` spans; cheap, writes nothing itself. */
	failed(spans: number, error: unknown): void
	/** Stops the timer and writes what is still unreported. */
	stop(): void
}

const MAX_REASON = 200

/** The failure's reason, short: the collector's status line or the network error, never a response body. */
function reasonOf(error: unknown): string {
	if (!(error instanceof Error)) return 'unknown'
	const code = (error as { code?: unknown }).code
	const text = error.message || error.name
	const reason =
		typeof code === 'number' || (typeof code === 'string' && !text.includes(code)) ? `${code} ${text}` : text
	return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason
}

export function exportFailureReporter(options: ExportFailureReporterOptions): ExportFailureReporter {
	const intervalMs = options.intervalMs ?? 60_000
	const now = options.now ?? Date.now
	let failures = 0
	let spans = 0
	let reason = ''
	let lastLine = Number.NEGATIVE_INFINITY

	const write = () => {
		options.logger
			.withMetadata({ failures, spans_dropped: spans, reason, interval_s: intervalMs / 1000 })
			.warn('Span export failed')
		failures = 0
		spans = 0
		lastLine = now()
	}
	const timer = setInterval(() => {
		if (failures > 0 && now() - lastLine >= intervalMs) write()
	}, options.checkEveryMs ?? 1000)
	// Reporting alone never keeps a process alive.
	timer.unref()

	return {
		failed(count, error) {
			failures++
			spans += count
			reason = reasonOf(error)
		},
		stop() {
			clearInterval(timer)
			if (failures > 0) write()
		},
	}
}
