/**
 * Configuration parsed once at start-up from the environment (README "Environment").
 * Every bad value is reported at once: the ConfigError thrown carries one line per bad
 * variable, naming it and what was expected; entrypoints print its message and exit 1.
 */
import { parseTracingConfig, type TracingConfig } from './observability/tracing-config'
import { resolve } from 'node:path'

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export type LogFormat = 'json' | 'pretty'

export type DatabaseTarget =
	| { kind: 'postgres'; url: string }
	| { kind: 'pglite-memory' }
	| { kind: 'pglite-disk'; path: string }

export interface ApiConfig {
	host: string
	port: number
	database: DatabaseTarget
	logFormat: LogFormat
	logLevel: LogLevel
	metricsToken: string | undefined
	/** `API_TOKEN`: bearer tokens accepted on /api/* (comma-separated, for rotation); empty → open. */
	apiTokens: string[]
	/** Largest accepted request body in bytes (`BODY_LIMIT_BYTES`, default 1 MiB). */
	bodyLimitBytes: number
	/** How long SIGTERM waits for in-flight requests (`SHUTDOWN_TIMEOUT_MS`, default 10 s). */
	shutdownTimeoutMs: number
	/** Series cap per metric (`METRICS_MAX_SERIES`, default 2000). */
	metricsMaxSeries: number
	/** How long to wait for a new PostgreSQL connection (`DATABASE_CONNECT_TIMEOUT_MS`, default 3 s). */
	databaseConnectTimeoutMs: number
	/** Server-side statement_timeout (`DATABASE_STATEMENT_TIMEOUT_MS`, default 5 s). */
	databaseStatementTimeoutMs: number
	/**
	 * Longest a request waits on the database in total, even when the server never answers
	 * (hung server, network partition), before failing with 503
	 * (`DATABASE_OPERATION_TIMEOUT_MS`, default 6 s).
	 */
	databaseOperationTimeoutMs: number
	/** Origins granted CORS (`CORS_ORIGINS`, comma-separated; default none). */
	corsOrigins: string[]
	/** Span export (the standard `OTEL_*` variables; README "Tracing"). */
	tracing: TracingConfig
}

export interface ConfigIssue {
	variable: string
	/** `VARIABLE: expected …`, one line. */
	line: string
}

/**
 * A bad environment: one issue per bad variable. `message` is their lines joined by
 * newlines, so printing it reports them all; `variable` is the first one's.
 */
export class ConfigError extends Error {
	override name = 'ConfigError'
	readonly issues: readonly ConfigIssue[]
	constructor(variable: string, expected: string)
	constructor(issues: readonly ConfigIssue[])
	constructor(first: string | readonly ConfigIssue[], expected?: string) {
		const issues = typeof first === 'string' ? [{ variable: first, line: `${first}: expected ${expected}` }] : first
		super(issues.map((issue) => issue.line).join('\n'))
		this.issues = issues
	}

	get variable(): string {
		return this.issues[0]?.variable ?? ''
	}

	/** One line per bad variable. */
	get lines(): string[] {
		return this.issues.map((issue) => issue.line)
	}
}

/**
 * Reads many variables and reports every bad one: `read` runs one parser and keeps its
 * ConfigError instead of stopping; `done` throws them all as one ConfigError.
 */
export class ConfigReader {
	private readonly issues: ConfigIssue[] = []

	/** The parser's value; after a bad value, undefined (never seen: `done` throws). */
	read<T>(parse: () => T): T {
		try {
			return parse()
		} catch (error) {
			if (!(error instanceof ConfigError)) throw error
			this.issues.push(...error.issues)
			return undefined as T
		}
	}

	done<T>(config: T): T {
		if (this.issues.length > 0) throw new ConfigError(this.issues)
		return config
	}
}

export type Env = Record<string, string | undefined>

/**
 * The standard `OTEL_*` variables as a configuration, for `r.read(...)`: their bad values are
 * reported with everyone else's (README "Tracing").
 */
export function parseTracing(env: Env, serviceName: string): TracingConfig {
	const result = parseTracingConfig(env, { serviceName })
	if (result.ok) return result.config
	throw new ConfigError(result.errors.map((line) => ({ variable: line.slice(0, line.indexOf(':')), line })))
}

/** The embedded default: PGlite on disk, relative to the working directory. */
export const DEFAULT_PGLITE_PATH = '.data/pglite'

export function parseDatabaseUrl(value: string | undefined): DatabaseTarget {
	const raw = value?.trim()
	if (!raw) return { kind: 'pglite-disk', path: resolve(DEFAULT_PGLITE_PATH) }
	if (/^postgres(ql)?:\/\/./i.test(raw)) {
		// postgres.js would throw a TypeError quoting the whole URL, password included.
		if (!parsesAsPostgresUrl(raw))
			throw new ConfigError('DATABASE_URL', 'a valid postgres:// URL (it could not be parsed)')
		return { kind: 'postgres', url: raw }
	}
	if (/^memory:(\/\/)?$/i.test(raw)) return { kind: 'pglite-memory' }
	if (/^file:/i.test(raw)) {
		const path = raw.replace(/^file:(\/\/)?/i, '')
		if (path) return { kind: 'pglite-disk', path: resolve(decodeURIComponent(path)) }
	}
	// Anything else with a scheme (mysql://, http://, sqlite:…) is a mistake, not a path.
	else if (!/^[a-z][a-z0-9+.-]*:/i.test(raw) || /^[a-z]:[\\/]/i.test(raw)) {
		return { kind: 'pglite-disk', path: resolve(raw) }
	}
	throw new ConfigError('DATABASE_URL', 'postgres://, postgresql://, memory://, a file: URL or a directory path')
}

/** Whether postgres.js can parse the URL (it accepts `host1:port1,host2:port2` lists). */
function parsesAsPostgresUrl(url: string): boolean {
	const authority = url.slice(url.indexOf('://') + 3).split(/[?/]/)[0] ?? ''
	const hosts = authority.slice(authority.indexOf('@') + 1)
	try {
		new URL(url.replace(hosts, hosts.split(',')[0] ?? ''))
		return true
	} catch {
		return false
	}
}

export function parsePort(variable: string, value: string | undefined, fallback: number): number {
	if (value === undefined || value.trim() === '') return fallback
	const n = Number(value)
	if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535)
		throw new ConfigError(variable, 'an integer port from 0 to 65535')
	return n
}

export function parsePositiveInt(
	variable: string,
	value: string | undefined,
	fallback: number,
	max = Number.MAX_SAFE_INTEGER,
): number {
	if (value === undefined || value.trim() === '') return fallback
	const n = Number(value)
	if (!/^\d+$/.test(value.trim()) || n < 1 || n > max)
		throw new ConfigError(variable, `a whole number from 1 to ${max}`)
	return n
}

export function parseLogLevel(value: string | undefined): LogLevel {
	if (value === undefined || value.trim() === '') return 'info'
	const v = value.trim().toLowerCase()
	const level = v === 'warn' ? 'warning' : v
	if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel
	throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`)
}

export function parseLogFormat(value: string | undefined, isTty: boolean): LogFormat {
	if (value === undefined || value.trim() === '') return isTty ? 'pretty' : 'json'
	const v = value.trim().toLowerCase()
	if (v === 'json' || v === 'pretty') return v
	throw new ConfigError('LOG_FORMAT', 'json or pretty')
}

/** A listen address (`HOST`, `BOT_METRICS_HOST`): a host name or IP address, default `127.0.0.1`. */
export function parseHost(value: string | undefined, variable = 'HOST'): string {
	if (value === undefined || value.trim() === '') return '127.0.0.1'
	const v = value.trim()
	if (!/^[A-Za-z0-9.:\-[\]]+$/.test(v)) throw new ConfigError(variable, 'a host name or IP address')
	return v
}

export function parseToken(variable: string, value: string | undefined): string | undefined {
	if (value === undefined || value === '') return undefined
	if (!/^[\x21-\x7e]+$/.test(value)) throw new ConfigError(variable, 'printable ASCII with no spaces')
	return value
}

/**
 * `CORS_ORIGINS`: comma-separated origins such as `https://admin.example.com` (scheme, host
 * and port only, as browsers send them in `Origin`).
 */
export function parseCorsOrigins(value: string | undefined): string[] {
	const origins: string[] = []
	for (const part of (value ?? '').split(',')) {
		const raw = part.trim()
		if (raw === '') continue
		let origin: string | undefined
		try {
			const url = new URL(raw)
			if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin
		} catch {
			// not a URL
		}
		if (origin !== raw) throw new ConfigError('CORS_ORIGINS', 'comma-separated origins such as https://example.com')
		origins.push(origin)
	}
	return origins
}

/**
 * `API_TOKEN`: one or more bearer tokens separated by commas (old and new side by side
 * while clients rotate). Blanks around commas are ignored; each token is printable ASCII.
 */
export function parseTokenList(variable: string, value: string | undefined): string[] {
	if (value === undefined || value.trim() === '') return []
	const tokens = value.split(',').map((token) => token.trim())
	if (tokens.some((token) => !/^[\x21-\x2b\x2d-\x7e]+$/.test(token)))
		throw new ConfigError(variable, 'comma-separated tokens of printable ASCII with no spaces')
	return tokens
}

/** Parses the API's environment; throws one ConfigError listing every bad value. */
export function loadApiConfig(env: Env = process.env, isTty = Boolean(process.stdout.isTTY)): ApiConfig {
	const r = new ConfigReader()
	return r.done({
		host: r.read(() => parseHost(env.HOST)),
		port: r.read(() => parsePort('PORT', env.PORT, 8000)),
		database: r.read(() => parseDatabaseUrl(env.DATABASE_URL)),
		logFormat: r.read(() => parseLogFormat(env.LOG_FORMAT, isTty)),
		logLevel: r.read(() => parseLogLevel(env.LOG_LEVEL)),
		metricsToken: r.read(() => parseToken('METRICS_TOKEN', env.METRICS_TOKEN)),
		apiTokens: r.read(() => parseTokenList('API_TOKEN', env.API_TOKEN)),
		bodyLimitBytes: r.read(() => parsePositiveInt('BODY_LIMIT_BYTES', env.BODY_LIMIT_BYTES, 1024 * 1024)),
		shutdownTimeoutMs: r.read(() => parsePositiveInt('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 10_000)),
		metricsMaxSeries: r.read(() => parsePositiveInt('METRICS_MAX_SERIES', env.METRICS_MAX_SERIES, 2000)),
		databaseConnectTimeoutMs: r.read(() =>
			parsePositiveInt('DATABASE_CONNECT_TIMEOUT_MS', env.DATABASE_CONNECT_TIMEOUT_MS, 3000, 600_000),
		),
		databaseStatementTimeoutMs: r.read(() =>
			parsePositiveInt('DATABASE_STATEMENT_TIMEOUT_MS', env.DATABASE_STATEMENT_TIMEOUT_MS, 5000, 3_600_000),
		),
		databaseOperationTimeoutMs: r.read(() =>
			parsePositiveInt('DATABASE_OPERATION_TIMEOUT_MS', env.DATABASE_OPERATION_TIMEOUT_MS, 6000, 3_600_000),
		),
		corsOrigins: r.read(() => parseCorsOrigins(env.CORS_ORIGINS)),
		tracing: r.read(() => parseTracing(env, 'byte-api')),
	})
}

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
	const h = host.toLowerCase().replace(/^\[|\]$/g, '')
	return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
}

/** A printable view of a database target with any password masked. */
export function describeDatabase(target: DatabaseTarget): string {
	switch (target.kind) {
		case 'postgres':
			return redactUrl(target.url)
		case 'pglite-memory':
			return 'memory:// (PGlite in memory)'
		case 'pglite-disk':
			return `${target.path} (PGlite on disk)`
	}
}

/**
 * Masks the password in a connection URL: the userinfo one (up to the last `@` of the
 * authority, as URL parsers read it, so an unescaped `@` in a password stays hidden) and
 * libpq-style `password=`/`sslpassword=` query parameters.
 */
export function redactUrl(url: string): string {
	return url
		.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i, '$1***@')
		.replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***')
}
