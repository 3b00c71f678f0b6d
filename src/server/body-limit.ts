/**
 * The body limit for requests that do not declare their length (`Transfer-Encoding:
 * chunked`). A declared Content-Length is checked before anything is read; a chunked
 * body can only be counted as it arrives, so its stream is wrapped to fail with 413 the
 * moment it passes the limit. Bun's own `maxRequestBodySize` stays a wider backstop.
 */
import { payloadTooLarge } from '../errors'

/**
 * The same request with a body stream that errors with a 413 AppError once more than
 * `limit` bytes have arrived; the parser's failure then carries that error as its cause.
 */
export function limitBody(request: Request, limit: number): Request {
	const body = request.body
	if (!body) return request
	let seen = 0
	const counted = body.pipeThrough(
		new TransformStream<Uint8Array, Uint8Array>({
			transform(chunk, controller) {
				seen += chunk.byteLength
				if (seen > limit) controller.error(payloadTooLarge(limit))
				else controller.enqueue(chunk)
			},
		}),
	)
	return new Request(request.url, {
		method: request.method,
		headers: request.headers,
		body: counted,
		signal: request.signal,
		duplex: 'half',
	} as RequestInit)
}
