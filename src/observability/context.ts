/**
 * Request/event context carried through async work without parameter passing.
 *
 * One AsyncLocalStorage holds a small object per HTTP request or Discord event. The logger
 * reads it at the moment a line is written, so code deep in services and the database
 * layer gets `correlation_id` for free (README "Correlation IDs"). This is the only module
 * that knows the storage exists; everything else goes through the functions below.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** A span's identity, enough to make children of it (OpenTelemetry's SpanContext). */
export interface ParentSpan {
	readonly traceId: string
	readonly spanId: string
	readonly traceFlags: number
}

/**
 * What we know about the request or event being handled. Deliberately a plain object that
 * may be changed later in the request: the logger reads it when it writes a line.
 */
export interface RequestContext {
	correlationId: string
	/** The W3C trace the work belongs to (32 hex characters), README "Tracing". */
	traceId?: string
	/** The span of this request or event (16 hex characters). */
	spanId?: string
	/** The same span as a parent for the spans of the work it causes (database, API calls). */
	span?: ParentSpan
}

const storage = new AsyncLocalStorage<RequestContext>()

/** The correlation ID of the request/event being handled, if any. */
export function currentCorrelationId(): string | undefined {
	return storage.getStore()?.correlationId
}

/** The whole context of the request/event being handled, if any. */
export function currentContext(): RequestContext | undefined {
	return storage.getStore()
}

/**
 * Runs `fn` with `ctx` as the current context; everything it awaits, schedules (timers,
 * promises) or spawns inherits it. The previous context is back when `fn` returns. The
 * choice wherever the work is a callback (bot event handlers, jobs, tests).
 */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
	return storage.run(ctx, fn)
}

/**
 * Makes `ctx` the current context for the rest of the current synchronous execution and
 * the async work it starts (AsyncLocalStorage#enterWith), for a framework hook that cannot
 * wrap the work it precedes.
 *
 * It never restores the previous context, so call it only where the current execution
 * belongs to the request alone: in an async continuation of the request, never in code
 * that runs synchronously inside the caller (the request plugin enters it after the first
 * point where Elysia awaits, so `app.handle()` leaves its caller's context as it was;
 * README "Correlation IDs").
 */
export function enterContext(ctx: RequestContext): void {
	storage.enterWith(ctx)
}
