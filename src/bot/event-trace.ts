/**
 * One trace per Discord event or interaction (README "The bot", "Tracing one event"): a span
 * named after the gateway event (`GUILD_CREATE`) or the command (`/config`), and the async
 * context the event runs in, which carries the correlation ID, the trace and span IDs for log
 * lines and exemplars, and the span as the parent of every API attempt the event makes.
 */
import { currentContext, type RequestContext } from '../observability/context'
import { type Exemplar, traceExemplar } from '../observability/metrics'
import { type InternalSpan, SpanKind, type Tracing } from '../observability/tracing'

/** What one event is, for its span's name and attributes. */
export interface EventTraceSubject {
	/** The gateway dispatch (`GUILD_CREATE`, `INTERACTION_CREATE`, `READY`…): `discord.event`. */
	readonly event: string
	/** `discord.shard`. */
	readonly shardId: number
	/** `discord.guild.id`, when the event is about a guild. */
	readonly guildId?: string | null
	/** The command's label (`config`, `ping`, `other`) for interactions: `discord.command`, and the span name `/<command>`. */
	readonly command?: string
}

export interface EventTrace {
	/** The event's span; end it with the event's outcome. */
	readonly span: InternalSpan
	/** Run the event inside it with `runWithContext`. */
	readonly context: RequestContext
}

/**
 * Starts the trace of one event: a new trace ID (sampled as the sampler decides) and a new
 * correlation ID (a UUID, as every event had before traces; README "Tracing one event").
 */
export function startEventTrace(tracing: Tracing, subject: EventTraceSubject): EventTrace {
	const attributes: Record<string, string | number> = {
		'discord.event': subject.event,
		'discord.shard': subject.shardId,
	}
	if (subject.guildId) attributes['discord.guild.id'] = subject.guildId
	if (subject.command !== undefined) attributes['discord.command'] = subject.command
	const name = subject.command === undefined ? subject.event : `/${subject.command}`
	// A gateway dispatch is a message the bot receives and processes: a CONSUMER span.
	const span = tracing.startSpan(name, { kind: SpanKind.CONSUMER, attributes })
	return {
		span,
		context: { correlationId: crypto.randomUUID(), traceId: span.traceId, spanId: span.spanId, span: span.context },
	}
}

/**
 * The exemplar of an observation made while an event is handled: its `trace_id` and `span_id`,
 * plus its `correlation_id` (README "Exemplars"); only the correlation ID outside a trace.
 */
export function eventExemplar(): Exemplar | undefined {
	const context = currentContext()
	if (context === undefined) return undefined
	const { traceId, spanId, correlationId } = context
	if (traceId === undefined || spanId === undefined) return correlationId
	return traceExemplar(traceId, spanId, correlationId) ?? correlationId
}
