/**
 * Discord REST traffic in metrics (README "Metrics"), from `@discordjs/rest`'s public events:
 * every response by method, route template and status, and every rate limit by scope.
 */
import { type REST, RESTEvents } from 'discord.js'
import { RATE_LIMIT_SCOPES, type BotMetrics } from './metrics'

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
const SCOPES: ReadonlySet<string> = new Set(RATE_LIMIT_SCOPES)

/**
 * discord.js' route template (its rate-limit bucket route) already has snowflakes as `:id` and
 * webhook tokens as `:token`; any number it left (an ID shorter than 17 digits) goes too.
 */
export function routeLabel(route: string): string {
	return route.replace(/\/\d+(?=\/|$)/g, '/:id')
}

function scopeLabel(scope: string | null | undefined, global: boolean): string {
	if (global) return 'global'
	return scope && SCOPES.has(scope) ? scope : 'user'
}

/** Counts on `rest` from now on. */
export function observeRest(rest: REST, metrics: Pick<BotMetrics, 'restRequests' | 'restRateLimited'>): void {
	rest.on(RESTEvents.Response, (request, response) => {
		const method = request.method.toUpperCase()
		const label = METHODS.has(method) ? method : 'OTHER'
		metrics.restRequests.labels(label, routeLabel(request.route), String(response.status)).inc()
		// discord.js emits `rateLimited` only when it holds a request back itself; a 429 Discord
		// answered shows up here, with its scope in X-RateLimit-Scope.
		if (response.status === 429) {
			const scope = scopeLabel(response.headers.get('x-ratelimit-scope'), response.headers.has('x-ratelimit-global'))
			metrics.restRateLimited.labels(scope).inc()
		}
	})
	rest.on(RESTEvents.RateLimited, (info) => metrics.restRateLimited.labels(scopeLabel(info.scope, info.global)).inc())
}
