/**
 * The path of a request URL, from the first `/` after the authority up to the query, as the
 * router sees it (not percent-decoded). Cheaper than `new URL()` on every request.
 */
export function pathOf(url: string): string {
	const start = url.indexOf('/', url.indexOf('//') + 2)
	if (start < 0) return '/'
	const query = url.indexOf('?', start)
	return query < 0 ? url.slice(start) : url.slice(start, query)
}
