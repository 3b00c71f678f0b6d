/**
 * Structured logging for Byte: LogLayer as the API, our own transport for the
 * output contract (DESIGN.md "Logs").
 *
 * LogLayer decides *whether* a line is written (levels, child loggers,
 * metadata/context/error assembly); {@link LineTransport} decides *what* it
 * looks like and writes it to one sink — stdout for every level, so one stream
 * carries the whole story.
 */
import { LogLayer, type LogLayerTransportParams, type LogLevelType } from 'loglayer'
import { LoggerlessTransport } from '@loglayer/transport'
import { currentCorrelationId } from './context'
import {
	jsonFormat,
	jsonRequestLine,
	type LevelName,
	type LineFormat,
	prettyFormat,
	type RequestLineFields,
	serializeError,
} from './log-format'

export type { LevelName, RequestLineFields } from './log-format'

/** A line whose values are all captured, to be formatted when its sink writes it out. */
export interface DeferredLine {
	/** The whole line, newline included. Never throws. */
	line(): string
}

/** Where finished lines go. Each `write` receives whole lines ending in `\n`. */
export interface LineSink {
	write(chunk: string): void
	/**
	 * Takes a line to format later, in its place among the written ones: a sink that writes
	 * once per event-loop turn formats a turn's access lines together, in one warm loop.
	 */
	defer?(line: DeferredLine): void
	/** Pushes buffered lines out; the promise (if any) settles once they are written. */
	flush(): void | Promise<void>
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
	/** `json`: one JSON object per line, for machines. `pretty`: for people at a terminal. Default `json`. */
	format?: 'json' | 'pretty'
	/** Lines below this level are dropped before any formatting. Default `info`. */
	level?: LevelName
	/** Where lines go. Default: the process-wide stdout sink ({@link stdoutSink}). */
	sink?: LineSink
	/** Milliseconds since the epoch for `timestamp`. Default `Date.now`. */
	clock?: () => number
	/** `logger` field of lines written by the root logger itself. Default `byte`. */
	name?: string
	/** ANSI colours in `pretty` format. Default: on unless `NO_COLOR` is set. */
	color?: boolean
}

const FORMATS = new Set(['json', 'pretty'])

// Ours → LogLayer's. `debug` opens `trace` too: trace lines are written as
// debug, so closing it separately would hide them at every level.
const TO_LOGLAYER: Readonly<Record<LevelName, LogLevelType>> = {
	debug: 'trace',
	info: 'info',
	warning: 'warn',
	error: 'error',
	critical: 'fatal',
}

/** Process-wide output shared by a root logger and all of its children. */
interface Output {
	readonly sink: LineSink
	readonly format: LineFormat
	readonly clock: () => number
}

const NO_MESSAGES: never[] = []

/** An access line with everything captured at the call: time, correlation ID, fields. */
class DeferredRequestLine implements DeferredLine {
	constructor(
		private readonly time: number,
		private readonly level: LogLevelType,
		private readonly name: string,
		private readonly correlationId: string | undefined,
		private readonly event: string,
		private readonly fields: RequestLineFields,
	) {}

	line(): string {
		try {
			return jsonRequestLine(this.time, this.level, this.name, this.correlationId, this.event, this.fields)
		} catch (error) {
			return jsonFormat.fallback(this.time, this.level, this.name, this.correlationId, error)
		}
	}
}

/**
 * Formats and writes one line per log call. One instance per named logger, so
 * the `logger` field is rendered once, not per line.
 */
class LineTransport extends LoggerlessTransport {
	private readonly rendered: string

	constructor(
		readonly output: Output,
		/** Full dotted name, e.g. `api.guilds.service`. */
		readonly loggerName: string,
		/** Root names label the root's own lines but do not prefix its children. */
		readonly isRoot: boolean,
	) {
		super({ id: 'byte-lines' })
		this.rendered = output.format.prepareName(loggerName)
	}

	/** A transport for a child logger named `name` below this one. */
	named(name: string): LineTransport {
		return new LineTransport(this.output, this.isRoot ? name : `${this.loggerName}.${name}`, false)
	}

	/**
	 * Writes the access line through {@link jsonRequestLine} when this transport writes JSON
	 * and would accept the line; false when the caller must take the general path. A sink
	 * that can defer lines formats it when it writes its batch.
	 */
	shipRequestLine(logLevel: LogLevelType, event: string, fields: RequestLineFields): boolean {
		if (!this.enabled || this.level !== 'trace' || this.output.format !== jsonFormat) return false
		const { sink, clock } = this.output
		let time = Number.NaN // a clock that throws leaves the timestamp to isoTimestamp's fallback
		let correlationId: string | undefined
		try {
			correlationId = currentCorrelationId()
			time = clock()
		} catch {
			// formatted with what was read
		}
		const line = new DeferredRequestLine(time, logLevel, this.rendered, correlationId, event, fields)
		try {
			if (sink.defer !== undefined) sink.defer(line)
			else sink.write(line.line())
		} catch {
			// stdout closed or sink broken
		}
		return true
	}

	// A log call must never throw: formatting failures become a fallback line,
	// sink failures are dropped (there is nowhere left to report them).
	shipToLogger(params: LogLayerTransportParams): never[] {
		const { sink, format, clock } = this.output
		let time = Number.NaN
		let correlationId: string | undefined
		let line: string
		try {
			correlationId = currentCorrelationId()
			time = clock()
			line = format.line(time, params.logLevel, this.rendered, correlationId, params.messages, params.data)
		} catch (error) {
			line = format.fallback(time, params.logLevel, this.rendered, correlationId, error)
		}
		try {
			sink.write(line)
		} catch {
			// stdout closed or sink broken
		}
		return NO_MESSAGES
	}
}

function lineTransportOf(logger: LogLayer): LineTransport | undefined {
	const configured = logger.getConfig().transport
	const list = Array.isArray(configured) ? configured : [configured]
	return list.find((t): t is LineTransport => t instanceof LineTransport)
}

/**
 * Creates the root logger of a process.
 *
 * ```ts
 * const root = createLogger({ format: env.LOG_FORMAT, level: env.LOG_LEVEL, name: 'api' })
 * const log = loggerFor(root, 'api.guilds.service')
 * log.withMetadata({ guildId }).info('Guild fetched')
 * ```
 *
 * Errors go through `withError(err)` (or as metadata values) and are written
 * as `error: { name, message, stack, code?, cause? }`.
 *
 * A disabled `log.debug('…')` costs a few nanoseconds. `withMetadata({...})`
 * builds its object before the level is known (~0.15 µs for 8 fields), so
 * guard hot debug lines with `if (log.isLevelEnabled('debug'))`.
 */
export function createLogger(options: LoggerOptions = {}): LogLayer {
	const format = options.format ?? 'json'
	if (!FORMATS.has(format)) throw new TypeError(`Unknown log format "${format}" (expected json or pretty)`)
	const level = options.level ?? 'info'
	if (!Object.hasOwn(TO_LOGLAYER, level)) {
		throw new TypeError(`Unknown log level "${level}" (expected debug, info, warning, error or critical)`)
	}
	const color = options.color ?? !process.env.NO_COLOR
	const output: Output = {
		sink: options.sink ?? stdoutSink(),
		format: format === 'pretty' ? prettyFormat(color) : jsonFormat,
		clock: options.clock ?? Date.now,
	}
	const logger = new LogLayer({
		transport: new LineTransport(output, options.name ?? 'byte', true),
		// LogLayer passes errors through untouched unless given a serializer.
		errorSerializer: serializeError,
		errorFieldName: 'error',
		// errorOnly(err) then reads as `event: err.message` instead of an empty event.
		copyMsgOnOnlyError: true,
	})
	// LogLayer checks the level before building anything, so a disabled
	// `log.debug(...)` costs one property lookup.
	logger.setLevel(TO_LOGLAYER[level])
	return logger
}

/**
 * A child logger whose lines carry `logger: "<name>"`; below another child the
 * names are joined with dots (`loggerFor(loggerFor(root, 'bot'), 'client')` →
 * `bot.client`). Children of the root take `name` as given, so modules name
 * themselves the same way in every process (`db`, `api.guilds.service`).
 *
 * Create one per module and reuse it: each call builds a new LogLayer.
 * The level is shared with the root (setting it on any of them sets it for
 * all); `withContext` on a child stays on that child — never use it for
 * per-request data, which belongs in the request context (./context).
 */
export function loggerFor(parent: LogLayer, name: string): LogLayer {
	const transport = lineTransportOf(parent)
	if (!transport) throw new TypeError('loggerFor() needs a logger made by createLogger()')
	if (typeof name !== 'string' || name.length === 0) throw new TypeError('Logger name must be a non-empty string')
	const child = parent.child()
	child.withFreshTransports(transport.named(name))
	child.withLogLevelManager(parent.getLogLevelManager())
	return child
}

/** Writes one line: `event` with `fields` at `level`, exactly as `withMetadata(fields)` would. */
export type LineWriter = (level: LevelName, event: string, fields: Record<string, unknown>) => void

// The LogLayer method each of our levels is written with (`TO_LOGLAYER` is for thresholds).
const LEVEL_METHODS = {
	debug: 'debug',
	info: 'info',
	warning: 'warn',
	error: 'error',
	critical: 'fatal',
} as const satisfies Record<LevelName, LogLevelType>

interface PluginCount {
	pluginManager?: { countPlugins?: () => number }
}

/** True while `logger` writes exactly what its transport makes of each call (no LogLayer extras). */
function plainCheck(logger: LogLayer): () => boolean {
	const contexts = logger.getContextManager()
	const plugins = (logger as unknown as PluginCount).pluginManager
	const config = logger.getConfig()
	const only = !Array.isArray(config.transport) || config.transport.length === 1
	return () =>
		only &&
		typeof plugins?.countPlugins === 'function' &&
		plugins.countPlugins() === 0 &&
		!contexts.hasContextData() &&
		!config.muteMetadata &&
		!config.prefix &&
		!config.groups
}

/**
 * A writer for lines written on every request: the same bytes as
 * `logger.withMetadata(fields)[level](event)`, at about half the cost. LogLayer still
 * decides whether the level is enabled, and the line still goes through this logger's
 * transport (format, sink, fallback line); what is skipped is LogLayer's per-call
 * assembly, which copies the metadata three times to merge in context, lazy values and
 * plugin output (bench/logging.ts). Whenever any of those is in play — context set on the
 * logger, plugins, muted metadata, a message prefix, transport groups — the writer takes
 * the ordinary LogLayer path instead.
 */
export function lineWriter(logger: LogLayer): LineWriter {
	const transport = lineTransportOf(logger)
	if (!transport) throw new TypeError('lineWriter() needs a logger made by createLogger()')
	const plain = plainCheck(logger)
	return function writeLine(level, event, fields) {
		const logLevel = LEVEL_METHODS[level]
		if (!logger.isLevelEnabled(logLevel)) return
		if (!plain()) {
			logger.withMetadata(fields)[logLevel](event)
			return
		}
		transport._sendToLogger({ logLevel, messages: [event], data: fields, hasData: true } as LogLayerTransportParams)
	}
}

/**
 * Writes the access line: `event` at `level` with the request's fields. The line may be
 * formatted later (see {@link LineSink.defer}), so `fields` must not change after the call.
 */
export type RequestLineWriter = (level: LevelName, event: string, fields: RequestLineFields) => void

/**
 * The {@link lineWriter} of the access line, whose fields are always the same five: in the
 * JSON format the line comes from one template ({@link jsonRequestLine}): the same bytes,
 * formatted in a third of the time. In any other case it is an ordinary `lineWriter`.
 */
export function requestLineWriter(logger: LogLayer): RequestLineWriter {
	const transport = lineTransportOf(logger)
	if (!transport) throw new TypeError('requestLineWriter() needs a logger made by createLogger()')
	const general = lineWriter(logger)
	const plain = plainCheck(logger)
	return function writeRequestLine(level, event, fields) {
		const logLevel = LEVEL_METHODS[level]
		if (!logger.isLevelEnabled(logLevel)) return
		if (!plain() || !transport.shipRequestLine(logLevel, event, fields)) general(level, event, { ...fields })
	}
}

/** Changes the level of a logger and every logger sharing its root. */
export function setLogLevel(logger: LogLayer, level: LevelName): void {
	logger.setLevel(TO_LOGLAYER[level])
}

/**
 * Waits until every line written so far has left the process. Await it before
 * `process.exit()`: Bun's FileSink writes stdout asynchronously, and lines
 * still queued behind a full pipe when the process exits are lost (measured:
 * 10 MB written, then exit, with a slow reader → 45 KB arrived).
 */
export async function flushLogs(logger: LogLayer): Promise<void> {
	try {
		await lineTransportOf(logger)?.output.sink.flush()
	} catch {
		// a closed stdout has nothing left to flush
	}
}

let sharedStdout: LineSink | undefined

/** Lines are held until the end of the event-loop turn, or until this many characters. */
export const BATCH_CHARS = 64 * 1024
/** What a deferred line counts for against {@link BATCH_CHARS} (an access line is ~250). */
const DEFERRED_CHARS = 256

/** What {@link batchedSink} writes to: the part of Bun's FileSink it uses. */
export interface ChunkWriter {
	write(chunk: string): number | Promise<number>
	flush(): number | Promise<number>
}

/**
 * A sink that hands `writer` the lines of one event-loop turn as one chunk: from
 * `setImmediate`, or at once when they reach {@link BATCH_CHARS}, and on `flush()`.
 * Deferred lines are formatted then, in their place: a turn's access lines in one loop
 * cost less than one at a time between requests (measured ~0.4 µs per request on the
 * 404 benchmark, README.md "Performance"). If the writer fails (EPIPE: the reader went
 * away), writes stop instead of throwing or rejecting unhandled.
 */
export function batchedSink(writer: ChunkWriter): LineSink {
	let broken = false
	let parts: (string | DeferredLine)[] = []
	let chars = 0
	let scheduled = false
	const markBroken = () => {
		broken = true
	}
	const writeOut = () => {
		scheduled = false
		if (parts.length === 0 || broken) return
		const taken = parts
		parts = []
		chars = 0
		let chunk = ''
		for (let i = 0; i < taken.length; i++) {
			const part = taken[i] as string | DeferredLine
			chunk += typeof part === 'string' ? part : part.line()
		}
		try {
			const written = writer.write(chunk)
			if (typeof written !== 'number') written.catch(markBroken)
		} catch {
			broken = true
		}
	}
	const added = (count: number) => {
		chars += count
		if (chars >= BATCH_CHARS) writeOut()
		else if (!scheduled) {
			scheduled = true
			setImmediate(writeOut)
		}
	}
	return {
		write(chunk) {
			if (broken) return
			parts.push(chunk)
			added(chunk.length)
		},
		defer(line) {
			if (broken) return
			parts.push(line)
			added(DEFERRED_CHARS)
		},
		flush() {
			writeOut()
			if (broken) return
			try {
				const flushed = writer.flush()
				if (typeof flushed !== 'number') return flushed.then(() => undefined, markBroken)
			} catch {
				broken = true
			}
		},
	}
}

/**
 * The process-wide stdout sink: Bun's FileSink (`Bun.stdout.writer()`), several times
 * cheaper per line than stream-based writers (SonicBoom, fs.createWriteStream), behind
 * {@link batchedSink}. When stdout is a file, FileSink writes every chunk straight
 * through, so a line per request was a `write(2)` per request (~2–4 µs under load, most
 * of the access line's cost then; README.md, "Performance"); batched, one event-loop turn
 * under load (tens of requests) costs one. The batch is written on `exit` too, so a crash
 * or `process.exit()` still writes it; what a SIGKILL can lose is that one turn's lines.
 *
 * One instance per process, so lines from different loggers never interleave
 * mid-line. On `exit` it flushes what it can synchronously; only a pipe that is
 * already full at that moment can still lose lines (see {@link flushLogs}).
 */
export function stdoutSink(): LineSink {
	if (sharedStdout) return sharedStdout
	const sink = batchedSink(Bun.stdout.writer())
	process.on('exit', () => {
		sink.flush()
	})
	sharedStdout = sink
	return sink
}
