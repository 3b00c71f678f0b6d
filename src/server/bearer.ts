/** Bearer-token checks shared by the API's and the bot's /metrics (no framework imports). */
import { timingSafeEqual } from 'node:crypto'

const digest = (value: string) => new Bun.CryptoHasher('sha256').update(value).digest()

/**
 * Constant-time check of `Authorization: Bearer <token>`: both sides are hashed first so
 * the comparison takes the same time whatever the presented value's length.
 */
export function bearerMatches(header: string | null, token: string): boolean {
	const presented = header?.startsWith('Bearer ') ? header.slice(7) : ''
	return timingSafeEqual(digest(presented), digest(token)) && presented.length > 0
}
