/** Small statistics and formatting helpers shared by the sections. */

export function median(values: readonly number[]): number {
	if (values.length === 0) return Number.NaN
	const sorted = [...values].sort((a, b) => a - b)
	const mid = sorted.length >> 1
	return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

export function formatCount(n: number): string {
	return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
}

export function formatRatio(n: number): string {
	return Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a'
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms))
}
