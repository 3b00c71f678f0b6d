/** Tracing set up the way a process does it, pointed at a local OTLP receiver. */
import { afterEach } from 'bun:test'
import { loggerFor } from '../../src/observability/logger'
import { createTracing, type TracingOptions } from '../../src/observability/tracing'
import { type OtlpProtocol, parseTracingConfig } from '../../src/observability/tracing-config'
import { type OtlpReceiver, type OtlpReceiverOptions, startOtlpReceiver } from '../helpers/otlp-receiver'
import { jsonLogger } from '../logging/helpers'

export const SERVICE_VERSION = '1.2.3-test'
export const INSTANCE_ID = 'test-instance-1'

/** Receivers started through it are stopped after each test. */
export function receivers(): (options?: OtlpReceiverOptions) => OtlpReceiver {
	const started: OtlpReceiver[] = []
	afterEach(async () => {
		for (const r of started.splice(0)) await r.stop()
	})
	return (options) => {
		const r = startOtlpReceiver(options)
		started.push(r)
		return r
	}
}

/**
 * Tracing from the standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT=endpoint`, the protocol,
 * plus `env`), logging into memory; spans leave after 5 ms instead of 5 s.
 */
export async function exportingTracing(
	endpoint: string,
	options: { protocol?: OtlpProtocol; env?: Record<string, string>; tracing?: Partial<TracingOptions> } = {},
) {
	const parsed = parseTracingConfig(
		{
			OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
			OTEL_EXPORTER_OTLP_PROTOCOL: options.protocol ?? 'http/protobuf',
			...options.env,
		},
		{ serviceName: 'byte-api' },
	)
	if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
	const { log, sink } = jsonLogger()
	const tracing = await createTracing({
		config: parsed.config,
		serviceVersion: SERVICE_VERSION,
		instanceId: INSTANCE_ID,
		logger: loggerFor(log, 'api.tracing'),
		batch: { scheduledDelayMs: 5 },
		...options.tracing,
	})
	return { tracing, sink }
}
