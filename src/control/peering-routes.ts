/**
 * The controller's peering API (operators only; src/control/peering-book.ts):
 * `GET /v1/peerings`, `GET /v1/peerings/identity` (this mesh's id and authority key, for
 * the other side's draft), `GET /v1/peerings/:id`, `POST /v1/peerings` (propose: a draft; the
 * answer carries the signed proposal to hand to the other side), `POST /v1/peerings/receive`
 * (a document from the other side: its proposal, counter-proposal or the agreement both
 * signed), `POST /v1/peerings/:id/accept` (countersign the other side's proposal) and
 * `POST /v1/peerings/:id/decline|suspend|resume|revoke` (`{ reason }`). A refused step is a
 * 409 whose code names the rule (`peering.<rule>`).
 */
import { z } from 'zod'
import type { GeneralJWS } from 'jose'
import type { Router } from './http-json.js'
import type { ControllerCore } from './controller-core.js'
import type { ControllerAuth } from './controller-auth.js'
import type { PeeringDraft } from './peering-book.js'
import { ControllerError, ControlRequestError } from './errors.js'
import { PeeringError } from '../federation/errors.js'

const jwsSchema = z.object({ payload: z.string().min(1).max(1_000_000), signatures: z.array(z.object({ protected: z.string().max(10_000).optional(), signature: z.string().max(10_000), header: z.record(z.string(), z.unknown()).optional() })).min(1).max(2) })
const draftSchema = z.object({ id: z.string(), local: z.object({}).passthrough(), remote: z.object({}).passthrough(), limits: z.object({}).passthrough(), expires: z.number() }).passthrough()
const reasonSchema = z.object({ reason: z.string().max(1000).optional() })

async function refusedAs409<T> (f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (err) {
    if (err instanceof PeeringError) throw new ControllerError(409, `peering.${err.rule}`, err.message)
    throw err
  }
}

function parse<T> (schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new ControlRequestError(`${what}: ${r.error.issues.map(i => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`)
  return r.data
}

export function peeringRoutes (r: Router, core: ControllerCore, auth: ControllerAuth): void {
  const op = async (ctx: { req: Parameters<ControllerAuth['operator']>[0], url: URL }): Promise<void> => { await auth.operator(ctx.req, ctx.url.pathname) }
  const known = (id: string): void => { if (!core.peerings.list().some(p => p.id === id)) throw new ControllerError(404, 'peering.unknown', `no peering ${id}`) }
  r.on('GET', '/v1/peerings', async (ctx) => { await op(ctx); return core.peerings.list() })
  // What the other mesh's operator puts in its draft as this side: the mesh id and the authority's public key.
  r.on('GET', '/v1/peerings/identity', async (ctx) => { await op(ctx); return { mesh: core.mesh, authority: core.authority.authority.jwk } })
  r.on('POST', '/v1/peerings', async (ctx) => {
    await op(ctx)
    const draft = parse(draftSchema, await ctx.body(), 'peering draft') as unknown as PeeringDraft
    return await refusedAs409(async () => await core.peerings.propose({ ...draft, v: 1 }))
  })
  r.on('POST', '/v1/peerings/receive', async (ctx) => {
    await op(ctx)
    const jws = parse(jwsSchema, await ctx.body(), 'peering document') as GeneralJWS
    return await refusedAs409(async () => await core.peerings.receive(jws))
  })
  r.on('GET', '/v1/peerings/:id', async (ctx) => { await op(ctx); known(ctx.params.id as string); return core.peerings.view(ctx.params.id as string) })
  r.on('POST', '/v1/peerings/:id/accept', async (ctx) => {
    await op(ctx)
    known(ctx.params.id as string)
    return await refusedAs409(async () => await core.peerings.accept(ctx.params.id as string))
  })
  for (const step of ['decline', 'suspend', 'resume', 'revoke'] as const) {
    r.on('POST', `/v1/peerings/:id/${step}`, async (ctx) => {
      await op(ctx)
      known(ctx.params.id as string)
      const { reason } = parse(reasonSchema, (await ctx.body()) ?? {}, step)
      return await refusedAs409(async () => await core.peerings.step(ctx.params.id as string, step, reason))
    })
  }
}
