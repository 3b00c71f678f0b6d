/** Bearer-token checks shared by the API (/api/*, /metrics) and the bot's /metrics (no framework imports). */
import { timingSafeEqual } from 'node:crypto'

const digest = (value: string) => new Bun.CryptoHasher('sha256').update(value).digest()

// RFC 7235: the auth scheme is case-insensitive (`bearer x` is as good as `Bearer x`),
// separated from the credentials by one or more spaces.
const BEARER = /^bearer +(\S+) *$/i

/** The credentials of `Authorization: Bearer <token>`, or '' when the header is absent or another scheme. */
export function presentedBearer(header: string | null): string {
	return header === null ? '' : (BEARER.exec(header)?.[1] ?? '')
}

/**
 * A constant-time check of `Authorization: Bearer <token>` against one or more accepted
 * tokens (several while clients rotate). Every token is compared, and all comparisons
 * are of SHA-256 digests, so the time taken says nothing about which token came close
 * or how long any of them is. The accepted tokens are hashed once, here.
 */
export function bearerVerifier(tokens: string | readonly string[]): (header: string | null) => boolean {
	const accepted = (typeof tokens === 'string' ? [tokens] : tokens).filter(Boolean).map(digest)
	return (header) => {
		const presented = presentedBearer(header)
		const hash = digest(presented)
		let match = false
		for (const token of accepted) match = timingSafeEqual(hash, token) || match
		return match && presented.length > 0
	}
}
