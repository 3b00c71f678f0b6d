/**
 * Structured logging for Byte: LogLayer as the API, one transport for the output
 * contract (README "Logs").
 *
 * LogLayer decides *whether* a line is written (levels, child loggers, metadata/context/
 * error assembly); the redaction plugin (./redact.ts) scrubs secrets from what it
 * assembled; {@link LineTransport} decides *what* the line looks like (./log-format.ts)
 * and writes it to one sink: stdout for every level, so one stream carries the whole
 * story. Every line takes that one path, the access line included.
 */
import { LoggerlessTransport } from '@loglayer/transport'
import { LogLayer, type LogLayerTransportParams, type LogLevelType } from 'loglayer'
import { currentContext } from './context'
import { jsonFormat, type LevelName, type LineFormat, type LineIds, prettyFormat } from './log-format'
import { redactionPlugin } from './redact'
import { serializeError } from './values'

export type { LevelName } from './log-format'

/** Where finished lines go. Each `write` receives whole lines ending in `\n`. */
export interface LineSink {
	write(chunk: string): void
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

/**
 * Where LogLayer puts context (`withContext`) and metadata (`withMetadata`) in the data a
 * transport receives: apart, so the transport can tell logger-bound ids from a call's
 * own fields of the same name.
 */
const CONTEXT_FIELD = 'context'
const METADATA_FIELD = 'metadata'
const ERROR_FIELD = 'error'

/** Process-wide output shared by a root logger and all of its children. */
interface Output {
	readonly sink: LineSink
	readonly format: LineFormat
	readonly clock: () => number
}

const NO_MESSAGES: never[] = []
type Section = Record<string, unknown> | undefined

function section(value: unknown): Section {
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
}

/**
 * The ids of the line: the ones the logger was bound to ({@link requestLogger}), else
 * those of the request or event being handled (./context.ts). Removes them from
 * `context`, which is a copy made for this line.
 */
function lineIds(context: Section): LineIds {
	const bound = context?.correlation_id
	if (typeof bound === 'string') {
		const ids: LineIds = { correlation_id: bound }
		if (typeof context?.trace_id === 'string') ids.trace_id = context.trace_id
		if (typeof context?.span_id === 'string') ids.span_id = context.span_id
		delete context?.correlation_id
		delete context?.trace_id
		delete context?.span_id
		return ids
	}
	const current = currentContext()
	if (current === undefined) return {}
	const ids: LineIds = { correlation_id: current.correlationId }
	if (current.traceId !== undefined) ids.trace_id = current.traceId
	if (current.spanId !== undefined) ids.span_id = current.spanId
	return ids
}

function isEmpty(value: Section): boolean {
	for (const _ in value) return false
	return true
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

	// A log call must never throw: formatting failures become a fallback line,
	// sink failures are dropped (there is nowhere left to report them).
	shipToLogger(params: LogLayerTransportParams): never[] {
		const { sink, format, clock } = this.output
		let time = Number.NaN // a clock that throws leaves the timestamp to the format's fallback
		let ids: LineIds = {}
		let line: string
		try {
			const data = params.data
			const context = section(data?.[CONTEXT_FIELD])
			ids = lineIds(context)
			time = clock()
			line = format.line({
				time,
				level: params.logLevel,
				name: this.rendered,
				ids,
				messages: params.messages,
				context: isEmpty(context) ? undefined : context,
				fields: section(data?.[METADATA_FIELD]),
				error: data?.[ERROR_FIELD],
			})
		} catch (error) {
			line = format.fallback(time, params.logLevel, this.rendered, ids, error)
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
 * builds its object before the level is known, so guard hot debug lines with
 * `if (log.isLevelEnabled('debug'))`.
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
		plugins: [redactionPlugin()],
		// LogLayer passes errors through untouched unless given a serializer.
		errorSerializer: serializeError,
		errorFieldName: ERROR_FIELD,
		contextFieldName: CONTEXT_FIELD,
		metadataFieldName: METADATA_FIELD,
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
 * all); `withContext` on a child stays on that child.
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

/** The identifiers a {@link requestLogger} is bound to. */
export interface RequestLogIds {
	correlationId: string
	traceId?: string
	spanId?: string
}

/** The LogLayer context (`withContext`, `raw({ context })`) that carries a request's ids. */
export function idsContext(ids: RequestLogIds): Record<string, string> {
	const context: Record<string, string> = { correlation_id: ids.correlationId }
	if (ids.traceId !== undefined) context.trace_id = ids.traceId
	if (ids.spanId !== undefined) context.span_id = ids.spanId
	return context
}

/**
 * A child of `parent` (same name, same level) whose every line carries the given
 * request's ids, wherever and whenever it is used: the `log` a route handler receives
 * (README "Correlation IDs"). One per request.
 *
 * The child is made on first use: a LogLayer child costs over a microsecond to build
 * (README "Performance") and most requests never log through theirs. Until then the
 * value is a stand-in that builds the child the first time any of its members is read.
 */
export function requestLogger(parent: LogLayer, ids: RequestLogIds): LogLayer {
	let child: LogLayer | undefined
	const real = () => {
		child ??= parent.child().withContext(idsContext(ids))
		return child
	}
	return new Proxy(Object.create(LogLayer.prototype) as LogLayer, {
		get(_, key) {
			const logger = real()
			const value = Reflect.get(logger, key, logger)
			return typeof value === 'function' ? value.bind(logger) : value
		},
		set: (_, key, value) => Reflect.set(real(), key, value),
		has: (_, key) => Reflect.has(real(), key),
	})
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

/** What {@link batchedSink} writes to: the part of Bun's FileSink it uses. */
export interface ChunkWriter {
	write(chunk: string): number | Promise<number>
	flush(): number | Promise<number>
}

/**
 * A sink that hands `writer` the lines of one event-loop turn as one chunk: from
 * `setImmediate`, or at once when they reach {@link BATCH_CHARS}, and on `flush()`.
 * If the writer fails (EPIPE: the reader went away), writes stop instead of throwing
 * or rejecting unhandled.
 */
export function batchedSink(writer: ChunkWriter): LineSink {
	let broken = false
	let parts: string[] = []
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
		try {
			const written = writer.write(taken.length === 1 ? (taken[0] as string) : taken.join(''))
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
 * of the access line's cost then; README "Performance"); batched, one event-loop turn
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
