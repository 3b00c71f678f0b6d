import { Elysia, t } from 'elysia'
import { AsyncLocalStorage } from 'node:async_hooks'
const als = new AsyncLocalStorage<any>()
const seen: any[] = []
const app = new Elysia()
  .onRequest(function begin({ request, set }) { set.headers['x-correlation-id'] = 'cid'; seen.push(['onRequest', (arguments[0] as any).route]) })
  .onParse({ as: 'global' }, function p(ctx) { seen.push(['parse', (ctx as any).route]) })
  .onTransform({ as: 'global' }, async function yieldOnce() {})
  .derive({ as: 'global' }, function d(ctx) { als.enterWith({ id: 'req' }); return { correlationId: 'cid' } })
  .onAfterResponse({ as: 'global' }, function after(ctx: any) { seen.push(['after', ctx.route, ctx.set.status, ctx.responseValue instanceof Response ? 'Response:' + ctx.responseValue.status : typeof ctx.responseValue, ctx.response instanceof Response ? 'R' + ctx.response.status : typeof ctx.response, als.getStore()?.id]) })
  .onError({ as: 'global' }, function err(ctx) { seen.push(['error', ctx.code, ctx.route]); return Response.json({ e: String(ctx.code) }, { status: ctx.code === 'NOT_FOUND' ? 404 : ctx.code === 'VALIDATION' ? 422 : ctx.code === 'PARSE' ? 400 : 500 }) })
  .get('/obj', ({ correlationId }) => ({ ok: correlationId, store: als.getStore()?.id }))
  .get('/resp', () => new Response('x', { status: 202 }))
  .get('/throw', () => { throw new Error('boom') })
  .post('/body', ({ body }) => body, { body: t.Object({ a: t.Number() }) })
  .get('/async', async () => { await Bun.sleep(1); return { s: als.getStore()?.id } })
async function go(method: string, path: string, body?: string) {
  seen.length = 0
  const r = await app.handle(new Request('http://localhost' + path, { method, body, headers: body ? { 'content-type': 'application/json' } : {} }))
  const text = await r.text()
  const callerStore = als.getStore()?.id
  await new Promise((r) => setImmediate(r)); await Bun.sleep(2)
  console.log(method, path, r.status, r.headers.get('x-correlation-id'), text.slice(0, 60), 'caller=', callerStore, JSON.stringify(seen))
}
await go('GET', '/obj'); await go('GET', '/resp'); await go('GET', '/throw'); await go('POST', '/body', '{"a":1}'); await go('POST', '/body', '{"a":"x"}'); await go('POST', '/body', '{bad'); await go('GET', '/nope'); await go('GET', '/async'); await go('HEAD', '/obj'); await go('DELETE', '/obj')
