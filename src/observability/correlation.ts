/**
 * Correlation IDs (README "Correlation IDs"): an inbound X-Correlation-ID is kept when it is 1–128
 * characters of [A-Za-z0-9._:-]; anything else is replaced by a fresh UUID v4 so a
 * hostile value never reaches a log line or a response header.
 */
export const CORRELATION_HEADER = 'x-correlation-id'
export const MAX_CORRELATION_ID_LENGTH = 128

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/

export type CorrelationVerdict = 'accepted' | 'absent' | 'rejected'

export interface ResolvedCorrelationId {
	id: string
	verdict: CorrelationVerdict
	/** Length of the rejected value (the value itself is never kept). */
	rejectedLength: number
}

/** Returns the inbound ID when it is safe, otherwise a new UUID v4. */
export function resolveCorrelationId(inbound: string | null): ResolvedCorrelationId {
	if (inbound === null) return { id: crypto.randomUUID(), verdict: 'absent', rejectedLength: 0 }
	if (SAFE.test(inbound)) return { id: inbound, verdict: 'accepted', rejectedLength: 0 }
	return { id: crypto.randomUUID(), verdict: 'rejected', rejectedLength: inbound.length }
}

export function isValidCorrelationId(value: string): boolean {
	return SAFE.test(value)
}
