import { AsyncLocalStorage } from 'node:async_hooks'
import { connect } from 'node:net'
const als = new AsyncLocalStorage<any>()
let n = 0
const seen: any[] = []
const server = Bun.serve({ port: 0, fetch(req) { seen.push(als.getStore()); als.enterWith(++n); return new Response('ok') } })
const sock = connect(server.port, '127.0.0.1')
await new Promise((r) => sock.on('connect', r))
const req = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
sock.write(req + req + req + req)
await Bun.sleep(200)
console.log('stores seen at start of each fetch:', seen)
sock.destroy(); server.stop(true)
