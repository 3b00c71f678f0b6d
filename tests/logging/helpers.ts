import { createLogger, type LineSink, type LoggerOptions } from '../../src/observability/logger'

/** 2026-11-25T10:30:45.123Z */
export const FIXED_TIME = Date.UTC(2026, 10, 25, 10, 30, 45, 123)

/** A LineSink that keeps what would have gone to stdout. */
export class MemorySink implements LineSink {
	readonly chunks: string[] = []
	flushes = 0

	write(chunk: string): void {
		this.chunks.push(chunk)
	}

	flush(): void {
		this.flushes++
	}

	get text(): string {
		return this.chunks.join('')
	}

	/** Lines as written, without their trailing newline. */
	lines(): string[] {
		const text = this.text
		if (text === '') return []
		if (!text.endsWith('\n')) throw new Error(`output does not end with a newline: ${JSON.stringify(text)}`)
		return text.slice(0, -1).split('\n')
	}

	/** Every line parsed as JSON; throws if any line is not one JSON object. */
	records(): Record<string, unknown>[] {
		return this.lines().map((line) => {
			const parsed: unknown = JSON.parse(line)
			if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
				throw new Error(`not an object: ${line}`)
			return parsed as Record<string, unknown>
		})
	}

	/** The only record written; fails if there is not exactly one. */
	only(): Record<string, unknown> {
		const records = this.records()
		if (records.length !== 1) throw new Error(`expected 1 line, got ${records.length}: ${this.text}`)
		return records[0] as Record<string, unknown>
	}
}

/** A JSON logger writing into a fresh MemorySink, clock fixed, level debug unless overridden. */
export function jsonLogger(options: LoggerOptions = {}) {
	const sink = new MemorySink()
	const log = createLogger({ format: 'json', level: 'debug', clock: () => FIXED_TIME, sink, ...options })
	return { log, sink }
}
