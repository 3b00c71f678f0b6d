import { t } from 'elysia'

/** The one error shape every non-2xx JSON response uses (DESIGN.md "Errors"). */
export const ErrorBody = t.Object(
	{
		error: t.Object({
			code: t.String({ examples: ['NOT_FOUND'] }),
			message: t.String(),
			correlation_id: t.String(),
		}),
	},
	{ title: 'Error' },
)
