/**
 * The answer to a request no route handled (README "HTTP API"): `OPTIONS` on a path we
 * serve is `204` with `Allow` (and the CORS grant for a preflight from a listed origin),
 * another method there is `405` with `Allow`, and a path nothing serves is `404`. The first
 * two are counted under the path's route template; only the last is `unmatched`.
 */
import { type CorsPolicy, preflightHeaders } from './cors'
import { type Answer, NO_ROUTE_MESSAGE, problemAnswer } from './errors'
import type { RouteTable } from './route-table'
import { pathOf } from './url-path'

export interface Unrouted {
	answer: Answer
	/** The template serving the path, when one does. */
	template: string | undefined
}

export function answerUnrouted(
	request: Request,
	correlationId: string,
	routes: RouteTable | undefined,
	cors: CorsPolicy | undefined,
): Unrouted {
	const match = routes?.match(pathOf(request.url))
	if (!match) return { answer: problemAnswer(404, 'NOT_FOUND', NO_ROUTE_MESSAGE, correlationId), template: undefined }
	const methods = [...match.methods, ...(match.methods.includes('OPTIONS') ? [] : ['OPTIONS'])]
	const allow = methods.join(', ')
	if (request.method === 'OPTIONS') {
		const headers = { allow, ...preflightHeaders(request, methods, cors) }
		return { answer: { status: 204, headers, body: undefined }, template: match.template }
	}
	const message = `This method is not allowed here; allowed: ${allow}`
	const answer = problemAnswer(405, 'METHOD_NOT_ALLOWED', message, correlationId, { allow })
	return { answer, template: match.template }
}
