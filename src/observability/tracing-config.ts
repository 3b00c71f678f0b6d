/**
 * Span export configuration from the standard OpenTelemetry environment variables (README
 * "Tracing (W3C Trace Context, OpenTelemetry)"), parsed once at start-up.
 *
 * Where the OpenTelemetry specification lets an SDK warn about a bad value and ignore it, Byte
 * refuses it, as it does every other variable: {@link parseTracingConfig} returns one line per
 * bad variable (`NAME: expected …`), never quoting the value (headers carry credentials).
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json'

/** The samplers the OpenTelemetry SDK specification defines (`OTEL_TRACES_SAMPLER`). */
export const SAMPLER_NAMES = [
	'always_on',
	'always_off',
	'traceidratio',
	'parentbased_always_on',
	'parentbased_always_off',
	'parentbased_traceidratio',
] as const
export type SamplerName = (typeof SAMPLER_NAMES)[number]

export interface SamplerConfig {
	readonly name: SamplerName
	/** Sampling probability for the `…traceidratio` samplers, 0 to 1 (`OTEL_TRACES_SAMPLER_ARG`, default 1). */
	readonly ratio: number
}

/** Where and how spans are exported; absent when they are not. */
export interface OtlpExportConfig {
	/** The traces URL spans are POSTed to (`…/v1/traces` when built from `OTEL_EXPORTER_OTLP_ENDPOINT`). */
	readonly url: string
	readonly protocol: OtlpProtocol
	/** Extra request headers (e.g. a collector's API key), traces-specific ones winning per name. */
	readonly headers: Readonly<Record<string, string>>
}

export interface TracingConfig {
	/** Undefined: no endpoint is configured, or `OTEL_SDK_DISABLED=true`. Then nothing is exported. */
	readonly export: OtlpExportConfig | undefined
	/** Why nothing is exported, for the start-up line. */
	readonly disabledBecause: 'no endpoint' | 'OTEL_SDK_DISABLED' | undefined
	/** `service.name` of every span (`OTEL_SERVICE_NAME`, else the process's default). */
	readonly serviceName: string
	readonly sampler: SamplerConfig
	/**
	 * HTTP methods reported as themselves in `http.request.method`; others become `_OTHER`
	 * (`OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`, default the semantic conventions' list).
	 */
	readonly knownMethods: ReadonlySet<string>
}

export type TracingConfigResult =
	| { readonly ok: true; readonly config: TracingConfig }
	| { readonly ok: false; readonly errors: readonly string[] }

type Env = Readonly<Record<string, string | undefined>>

/** RFC 9110 methods, PATCH (RFC 5789) and QUERY: the semantic conventions' known methods. */
export const DEFAULT_KNOWN_METHODS: readonly string[] = Object.freeze([
	'CONNECT',
	'DELETE',
	'GET',
	'HEAD',
	'OPTIONS',
	'PATCH',
	'POST',
	'PUT',
	'QUERY',
	'TRACE',
])

const TRACES_PATH = 'v1/traces'
// RFC 9110 token: what an HTTP header name or a method may consist of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The value, or undefined when unset or empty (the specification treats both alike). */
function read(env: Env, name: string): string | undefined {
	const v = env[name]?.trim()
	return v ? v : undefined
}

/**
 * Parses the tracing variables. `defaults.serviceName` is the process's own name (`byte-api`,
 * `byte-bot`). Every bad variable adds one line to `errors`; the values are never quoted.
 */
export function parseTracingConfig(env: Env, defaults: { serviceName: string }): TracingConfigResult {
	const errors: string[] = []
	const fail = (name: string, expected: string) => {
		errors.push(`${name}: expected ${expected}`)
	}

	const disabledRaw = read(env, 'OTEL_SDK_DISABLED')?.toLowerCase()
	if (disabledRaw !== undefined && disabledRaw !== 'true' && disabledRaw !== 'false')
		fail('OTEL_SDK_DISABLED', 'true or false')
	const disabled = disabledRaw === 'true'

	const url = exportUrl(env, fail)
	const protocol = parseProtocol(env, fail)
	const headers = {
		...parseHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS', fail),
		...parseHeaders(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', fail),
	}
	const sampler = parseSampler(env, fail)
	const knownMethods = parseKnownMethods(env, fail)
	const serviceName = read(env, 'OTEL_SERVICE_NAME') ?? defaults.serviceName

	if (errors.length > 0) return { ok: false, errors }
	const exporting = !disabled && url !== undefined
	return {
		ok: true,
		config: {
			export: exporting ? { url, protocol, headers } : undefined,
			disabledBecause: exporting ? undefined : disabled ? 'OTEL_SDK_DISABLED' : 'no endpoint',
			serviceName,
			sampler,
			knownMethods,
		},
	}
}

type Fail = (name: string, expected: string) => void

/** An http(s) URL with a host, or undefined after reporting why not. */
function httpUrl(name: string, raw: string, fail: Fail): URL | undefined {
	let url: URL
	try {
		url = new URL(raw)
	} catch {
		fail(name, 'an http:// or https:// URL')
		return undefined
	}
	if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
		fail(name, 'an http:// or https:// URL')
		return undefined
	}
	return url
}

/**
 * The traces URL by the exporter specification's rules: the traces-specific variable as it is
 * (only an empty path becomes `/`), else the general one as a base with `v1/traces` appended
 * after a `/`. No other change is made to either.
 */
function exportUrl(env: Env, fail: Fail): string | undefined {
	const specific = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
	const general = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
	let result: string | undefined
	if (general !== undefined) {
		const url = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general, fail)
		// A base URL is extended by appending to its path; a query or fragment would end up in front.
		if (url && (url.search !== '' || url.hash !== '' || /[?#]/.test(general)))
			fail('OTEL_EXPORTER_OTLP_ENDPOINT', 'a base URL without a query or fragment (v1/traces is appended to it)')
		else if (url) result = `${general.endsWith('/') ? general : `${general}/`}${TRACES_PATH}`
	}
	if (specific !== undefined) {
		if (!httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific, fail)) return undefined
		const split = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)(.*)$/is.exec(specific)
		const rest = split?.[2] ?? ''
		result = split && !rest.startsWith('/') ? `${split[1]}/${rest}` : specific
	}
	return result
}

function parseProtocol(env: Env, fail: Fail): OtlpProtocol {
	let protocol: OtlpProtocol = 'http/protobuf'
	for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
		const raw = read(env, name)?.toLowerCase()
		if (raw === undefined) continue
		if (raw === 'http/protobuf' || raw === 'http/json') protocol = raw
		else if (raw === 'grpc')
			fail(name, 'http/protobuf or http/json (grpc is not supported: use the collector’s OTLP/HTTP port, 4318)')
		else fail(name, 'http/protobuf or http/json')
	}
	return protocol
}

/**
 * `key1=value1,key2=value2` (the W3C Baggage format without properties, values
 * percent-decoded). Keys must be HTTP header names; a value may not decode to control
 * characters, which no HTTP header may carry.
 */
function parseHeaders(env: Env, name: string, fail: Fail): Record<string, string> {
	const raw = read(env, name)
	const headers: Record<string, string> = {}
	if (raw === undefined) return headers
	const expected = 'comma-separated name=value pairs (W3C Baggage format, values percent-encoded)'
	for (const member of raw.split(',')) {
		const pair = member.trim()
		if (pair === '') continue
		const eq = pair.indexOf('=')
		const key = pair.slice(0, eq).trim()
		const value = eq > 0 && TOKEN.test(key) ? percentDecoded(pair.slice(eq + 1).trim()) : undefined
		if (value === undefined) {
			fail(name, expected)
			return {}
		}
		headers[key.toLowerCase()] = value
	}
	return headers
}

/** The percent-decoded value, or undefined when it does not decode or holds control characters. */
function percentDecoded(encoded: string): string | undefined {
	let value: string
	try {
		value = decodeURIComponent(encoded)
	} catch {
		return undefined
	}
	// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
	return /[\u0000-\u001f\u007f]/.test(value) ? undefined : value
}

function parseSampler(env: Env, fail: Fail): SamplerConfig {
	const raw = read(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on'
	const name = (SAMPLER_NAMES as readonly string[]).includes(raw) ? (raw as SamplerName) : undefined
	if (name === undefined) {
		fail('OTEL_TRACES_SAMPLER', `one of ${SAMPLER_NAMES.join(', ')}`)
		return { name: 'parentbased_always_on', ratio: 1 }
	}
	let ratio = 1
	const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG')
	// The argument only means something to the ratio samplers; others ignore it, as specified.
	if (arg !== undefined && name.endsWith('traceidratio')) {
		ratio = Number(arg)
		if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(arg) || !(ratio >= 0 && ratio <= 1)) {
			fail('OTEL_TRACES_SAMPLER_ARG', 'a sampling probability from 0 to 1 (e.g. 0.25)')
			ratio = 1
		}
	}
	return { name, ratio }
}

function parseKnownMethods(env: Env, fail: Fail): ReadonlySet<string> {
	const raw = read(env, 'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS')
	if (raw === undefined) return new Set(DEFAULT_KNOWN_METHODS)
	const methods = raw
		.split(',')
		.map((m) => m.trim())
		.filter(Boolean)
	if (!methods.every((m) => TOKEN.test(m)))
		fail('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS', 'comma-separated HTTP methods')
	return new Set(methods)
}

/**
 * Fields for the start-up log line: where spans go, without the URL's credentials, query or
 * header values (the header names are listed).
 */
export function tracingSummary(config: TracingConfig): Record<string, string | number> {
	if (config.export === undefined) return { tracing: 'off', reason: config.disabledBecause ?? 'no endpoint' }
	const url = new URL(config.export.url)
	return {
		tracing: 'on',
		otlp_endpoint: `${url.protocol}//${url.host}${url.pathname}`,
		otlp_protocol: config.export.protocol,
		otlp_headers: Object.keys(config.export.headers).join(','),
		service_name: config.serviceName,
		sampler: config.sampler.name.endsWith('traceidratio')
			? `${config.sampler.name}:${config.sampler.ratio}`
			: config.sampler.name,
	}
}
