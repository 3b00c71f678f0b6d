/**
 * Request/event context carried through async work without parameter passing.
 *
 * One AsyncLocalStorage holds a small mutable object per HTTP request or Discord
 * event. The logger reads it at the moment a line is written, so code deep in
 * services and the database layer gets `correlation_id` for free.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * What we know about the request or event being handled.
 * Deliberately a plain mutable object: hooks may add fields later in the
 * request (route, user) without re-entering the storage.
 */
export interface RequestContext {
	correlationId: string
}

/** The one storage for the process. Exported so tests can inspect it. */
export const requestContext = new AsyncLocalStorage<RequestContext>()

/** The correlation ID of the request/event being handled, if any. */
export function currentCorrelationId(): string | undefined {
	return requestContext.getStore()?.correlationId
}

/** The whole context of the request/event being handled, if any. */
export function currentContext(): RequestContext | undefined {
	return requestContext.getStore()
}

/**
 * Runs `fn` with `ctx` as the current context; everything it awaits, schedules
 * (timers, promises) or spawns inherits it. The previous context is restored
 * when `fn` returns, so this is the safe choice wherever a callback is handy
 * (bot event handlers, jobs, tests).
 */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
	return requestContext.run(ctx, fn)
}

/**
 * Makes `ctx` the current context for the rest of the current synchronous
 * execution and the async work it starts (AsyncLocalStorage#enterWith).
 *
 * For the request wrapper (./http.ts), whose remaining work, the access line
 * included, all belongs to the request. Under `Bun.serve` every request starts
 * in a fresh async scope, so the context stays with its request (checked with
 * 50 concurrent requests).
 * Caveat: `enterWith` never restores the previous context, so when a caller
 * invokes `app.handle()` directly (tests), the caller's own scope keeps the last
 * request's context afterwards. Prefer {@link runWithContext} wherever a
 * callback can be wrapped.
 */
export function enterContext(ctx: RequestContext): void {
	requestContext.enterWith(ctx)
}
