/** A bound on how many async tasks run at once; the rest wait their turn, in order. */
export function createLimiter(concurrency: number) {
	if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number ≥ 1')
	let running = 0
	const waiting: Array<() => void> = []

	// A finished task hands its slot straight to the next in line, so no newcomer slips in between.
	const release = () => {
		const wake = waiting.shift()
		if (wake) wake()
		else running--
	}

	return async function limit<T>(task: () => Promise<T>): Promise<T> {
		if (running < concurrency) running++
		else await new Promise<void>((resolve) => waiting.push(resolve))
		try {
			return await task()
		} finally {
			release()
		}
	}
}

export type Limiter = ReturnType<typeof createLimiter>
