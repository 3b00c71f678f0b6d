/**
 * Reading a request body under a size limit (`BODY_LIMIT_BYTES`, README "Hostile and
 * malformed input"). A declared `Content-Length` over the limit is refused before anything
 * is read; a body without one (`Transfer-Encoding: chunked`) is counted as it arrives and
 * refused the moment it passes the limit. Bun's own `maxRequestBodySize` stays a wider
 * backstop.
 */
import { payloadTooLarge } from '../errors'

/** The body as text, or a 413 AppError thrown once it is known to exceed `limit` bytes. */
export async function readBodyText(request: Request, limit: number): Promise<string> {
	const declared = request.headers.get('content-length')
	if (declared !== null) {
		if (Number(declared) > limit) throw payloadTooLarge(limit)
		return request.text()
	}
	const body = request.body
	if (body === null) return ''
	const chunks: Uint8Array[] = []
	let seen = 0
	for await (const chunk of body) {
		seen += chunk.byteLength
		if (seen > limit) {
			await body.cancel().catch(() => {})
			throw payloadTooLarge(limit)
		}
		chunks.push(chunk)
	}
	return new TextDecoder().decode(Buffer.concat(chunks))
}
