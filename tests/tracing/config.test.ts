/**
 * The standard OpenTelemetry variables, read as the exporter and SDK specifications say
 * (including their URL examples), and refused with one line per bad variable.
 */
import { describe, expect, test } from 'bun:test'
import {
	DEFAULT_KNOWN_METHODS,
	parseTracingConfig,
	type TracingConfig,
	tracingSummary,
} from '../../src/observability/tracing-config'

const defaults = { serviceName: 'byte-api' }

function config(env: Record<string, string>): TracingConfig {
	const result = parseTracingConfig(env, defaults)
	if (!result.ok) throw new Error(`unexpected errors: ${result.errors.join('; ')}`)
	return result.config
}

function errors(env: Record<string, string>): readonly string[] {
	const result = parseTracingConfig(env, defaults)
	if (result.ok) throw new Error('expected errors')
	return result.errors
}

const urlOf = (env: Record<string, string>) => config(env).export?.url

describe('defaults', () => {
	test('nothing set: no export, the default service name, parentbased_always_on', () => {
		expect(config({})).toEqual({
			export: undefined,
			disabledBecause: 'no endpoint',
			serviceName: 'byte-api',
			sampler: { name: 'parentbased_always_on', ratio: 1 },
			knownMethods: new Set(DEFAULT_KNOWN_METHODS),
		})
	})

	test('empty values count as unset', () => {
		expect(
			config({
				OTEL_EXPORTER_OTLP_ENDPOINT: '',
				OTEL_SERVICE_NAME: ' ',
				OTEL_TRACES_SAMPLER: '',
				OTEL_SDK_DISABLED: '',
				OTEL_EXPORTER_OTLP_PROTOCOL: '',
			}),
		).toMatchObject({ export: undefined, serviceName: 'byte-api', sampler: { name: 'parentbased_always_on' } })
	})

	test('an endpoint turns export on with http/protobuf and no extra headers', () => {
		expect(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).export).toEqual({
			url: 'http://collector:4318/v1/traces',
			protocol: 'http/protobuf',
			headers: {},
		})
	})
})

describe('endpoint URLs (the exporter specification’s rules and examples)', () => {
	test('example 1: the general endpoint is a base for v1/traces', () => {
		expect(urlOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces')
	})

	test('example 2: the traces endpoint is used as it is; an empty path becomes /', () => {
		expect(urlOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/')
		expect(urlOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.com/v1/traces' })).toBe(
			'https://collector.example.com/v1/traces',
		)
	})

	test('example 3: a base with a path, with or without the trailing slash', () => {
		expect(urlOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/mycollector/' })).toBe(
			'http://collector:4318/mycollector/v1/traces',
		)
		expect(urlOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/mycollector' })).toBe(
			'http://collector:4318/mycollector/v1/traces',
		)
		expect(urlOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example.com/v1/traces/' })).toBe(
			'https://collector.example.com/v1/traces/',
		)
	})

	test('the traces endpoint wins over the general one', () => {
		expect(
			urlOf({
				OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
				OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
			}),
		).toBe('http://traces:4318/custom')
	})

	test('the traces endpoint keeps its query; only the missing path is added', () => {
		expect(urlOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318?tenant=a' })).toBe('http://c:4318/?tenant=a')
		expect(urlOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c/x?tenant=a' })).toBe('https://c/x?tenant=a')
	})

	test('surrounding whitespace is not part of the URL', () => {
		expect(urlOf({ OTEL_EXPORTER_OTLP_ENDPOINT: '  http://collector:4318\n' })).toBe('http://collector:4318/v1/traces')
	})

	test.each([
		['not a URL', 'collector 4318'],
		['no scheme', 'collector:4318'],
		['another scheme', 'ftp://collector:4318'],
		['grpc-style', 'grpc://collector:4317'],
		['no host', 'http://'],
	])('%s → one line naming the variable', (_name, value) => {
		expect(errors({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toEqual([
			'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http:// or https:// URL',
		])
		expect(errors({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: value })).toEqual([
			'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: expected an http:// or https:// URL',
		])
	})

	test('a general base with a query or fragment is refused (the path would end up after it)', () => {
		for (const value of ['http://c:4318?x=1', 'http://c:4318/#f', 'http://c:4318/?']) {
			expect(errors({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toEqual([
				'OTEL_EXPORTER_OTLP_ENDPOINT: expected a base URL without a query or fragment (v1/traces is appended to it)',
			])
		}
	})
})

describe('protocol', () => {
	const protocolOf = (env: Record<string, string>) =>
		config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...env }).export?.protocol

	test('http/protobuf by default, http/json on request, case-insensitive', () => {
		expect(protocolOf({})).toBe('http/protobuf')
		expect(protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json')
		expect(protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' })).toBe('http/json')
	})

	test('the traces-specific protocol wins', () => {
		expect(
			protocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
		).toBe('http/protobuf')
	})

	test('grpc is a configuration error that says what to use instead', () => {
		expect(errors({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual([
			'OTEL_EXPORTER_OTLP_PROTOCOL: expected http/protobuf or http/json (grpc is not supported: use the collector’s OTLP/HTTP port, 4318)',
		])
		expect(errors({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).toEqual([
			'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: expected http/protobuf or http/json',
		])
	})
})

describe('headers', () => {
	const headersOf = (env: Record<string, string>) =>
		config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...env }).export?.headers

	test('name=value pairs, percent-decoded, whitespace around pairs ignored', () => {
		expect(headersOf({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20one, X-Tenant = a%2Cb ,' })).toEqual({
			'api-key': 'secret one',
			'x-tenant': 'a,b',
		})
		// A value may contain `=`: only the first one separates.
		expect(headersOf({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic dXNlcjpwYXNz==' })).toEqual({
			authorization: 'Basic dXNlcjpwYXNz==',
		})
	})

	test('traces-specific headers win per name, the others are kept', () => {
		expect(
			headersOf({
				OTEL_EXPORTER_OTLP_HEADERS: 'api-key=general,x-common=1',
				OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'API-Key=traces',
			}),
		).toEqual({ 'api-key': 'traces', 'x-common': '1' })
	})

	test.each([
		['no equals sign', 'api-key'],
		['empty name', '=value'],
		['space in a name', 'api key=1'],
		['bad percent-encoding', 'api-key=%zz'],
		['a decoded newline (header injection)', 'api-key=a%0D%0AX-Evil:%201'],
		['a decoded NUL', 'api-key=a%00'],
	])('%s → refused, the value never quoted', (_name, value) => {
		const lines = errors({ OTEL_EXPORTER_OTLP_HEADERS: `${value},x=secret-token-123` })
		expect(lines).toEqual([
			'OTEL_EXPORTER_OTLP_HEADERS: expected comma-separated name=value pairs (W3C Baggage format, values percent-encoded)',
		])
		expect(lines.join('')).not.toContain('secret-token-123')
	})
})

describe('service name and SDK switch', () => {
	test('OTEL_SERVICE_NAME replaces the process default', () => {
		expect(config({ OTEL_SERVICE_NAME: 'byte-api-eu' }).serviceName).toBe('byte-api-eu')
		expect(parseTracingConfig({}, { serviceName: 'byte-bot' })).toMatchObject({ config: { serviceName: 'byte-bot' } })
	})

	test('OTEL_SDK_DISABLED=true turns export off even with an endpoint; false and any case are accepted', () => {
		const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }
		expect(config({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toMatchObject({
			export: undefined,
			disabledBecause: 'OTEL_SDK_DISABLED',
		})
		expect(config({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).export).toBeUndefined()
		expect(config({ ...endpoint, OTEL_SDK_DISABLED: 'False' }).export?.url).toBe('http://c:4318/v1/traces')
	})

	test('any other value is refused (the specification would silently read it as false)', () => {
		for (const value of ['1', 'yes', 'on', 'disabled']) {
			expect(errors({ OTEL_SDK_DISABLED: value })).toEqual(['OTEL_SDK_DISABLED: expected true or false'])
		}
	})
})

describe('sampler', () => {
	const samplerOf = (env: Record<string, string>) => config(env).sampler

	test.each([
		['always_on'],
		['always_off'],
		['traceidratio'],
		['parentbased_always_on'],
		['parentbased_always_off'],
		['parentbased_traceidratio'],
	] as const)('%s', (name) => {
		expect(samplerOf({ OTEL_TRACES_SAMPLER: name })).toEqual({ name, ratio: 1 })
		expect(samplerOf({ OTEL_TRACES_SAMPLER: name.toUpperCase() }).name).toBe(name)
	})

	test('the ratio samplers read OTEL_TRACES_SAMPLER_ARG (default 1); the others ignore it', () => {
		expect(samplerOf({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({
			name: 'traceidratio',
			ratio: 0.25,
		})
		expect(samplerOf({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).ratio).toBe(0)
		expect(samplerOf({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }).ratio).toBe(1)
		expect(samplerOf({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '.5' }).ratio).toBe(0.5)
		expect(samplerOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'nonsense' })).toEqual({
			name: 'always_on',
			ratio: 1,
		})
	})

	test.each(['1.5', '-0.1', 'half', '0x1', 'NaN', 'Infinity', '1e1'])('ratio %p is refused', (arg) => {
		expect(errors({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: arg })).toEqual([
			'OTEL_TRACES_SAMPLER_ARG: expected a sampling probability from 0 to 1 (e.g. 0.25)',
		])
	})

	test('unknown and unsupported samplers are refused with the list of known ones', () => {
		for (const name of ['jaeger_remote', 'xray', 'sometimes']) {
			expect(errors({ OTEL_TRACES_SAMPLER: name })).toEqual([
				'OTEL_TRACES_SAMPLER: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
			])
		}
	})
})

describe('known HTTP methods', () => {
	test('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the whole list', () => {
		expect(config({ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET, POST,PURGE' }).knownMethods).toEqual(
			new Set(['GET', 'POST', 'PURGE']),
		)
		expect(errors({ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,BAD METHOD' })).toEqual([
			'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: expected comma-separated HTTP methods',
		])
	})
})

describe('reporting', () => {
	test('every bad variable is one line, in a fixed order, so start-up can print them all', () => {
		expect(
			errors({
				OTEL_SDK_DISABLED: 'maybe',
				OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x',
				OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
				OTEL_EXPORTER_OTLP_HEADERS: 'broken',
				OTEL_TRACES_SAMPLER: 'traceidratio',
				OTEL_TRACES_SAMPLER_ARG: '2',
			}).map((line) => line.slice(0, line.indexOf(':'))),
		).toEqual([
			'OTEL_SDK_DISABLED',
			'OTEL_EXPORTER_OTLP_ENDPOINT',
			'OTEL_EXPORTER_OTLP_PROTOCOL',
			'OTEL_EXPORTER_OTLP_HEADERS',
			'OTEL_TRACES_SAMPLER_ARG',
		])
	})

	test('tracingSummary shows where spans go without credentials, query or header values', () => {
		const c = config({
			OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pa55@collector.example.com:4318/v1/traces?token=abc',
			OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cret',
			OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
			OTEL_TRACES_SAMPLER_ARG: '0.1',
		})
		const summary = tracingSummary(c)
		expect(summary).toEqual({
			tracing: 'on',
			otlp_endpoint: 'https://collector.example.com:4318/v1/traces',
			otlp_protocol: 'http/protobuf',
			otlp_headers: 'api-key',
			service_name: 'byte-api',
			sampler: 'parentbased_traceidratio:0.1',
		})
		expect(JSON.stringify(summary)).not.toMatch(/pa55|abc|s3cret/)
		expect(tracingSummary(config({}))).toEqual({ tracing: 'off', reason: 'no endpoint' })
	})
})
