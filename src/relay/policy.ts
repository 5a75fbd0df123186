/**
 * The relay's policy seam, in the style of libp2p's connection gater: a set of optional
 * hooks, each asked at one place in the relay (`RelayGate`), each answering `true` to
 * allow or `{ deny: reason }` to refuse. With trust on, the gate asks an agent's
 * credential's grants first and the hooks can only refuse more; with no hooks the grants
 * decide. In open mode (no trust) and with no hooks, everything is allowed. Links inside
 * the mesh export and import every route.
 *
 * ```ts
 * const relay = await createRelay({
 *   policy: {
 *     allowSubscribe: ({ agent, name }) => name.startsWith(agent.split('/')[0] + '/') || { deny: 'other organisations\' names' }
 *   }
 * })
 * ```
 */
import type { NameRoute } from '../wire/envelope.pb.js'

export type DeliveryModeName = 'anycast' | 'multicast' | 'unicast'

/** Allow, or refuse with a reason (it reaches the agent in its `PermissionDeniedError`). */
export type PolicyVerdict = true | { deny: string }

/**
 * What kind of link: `mesh` joins relays of one mesh (every route crosses, as always);
 * `peering` joins two meshes (nothing crosses unless the policy's `exportRoute` says so).
 */
export type LinkKind = 'mesh' | 'peering'

export interface SessionRequest {
  /** The agent's full name, proved by its key. */
  agent: string
  /** Its Ed25519 public key (protobuf-encoded, as libp2p writes it). */
  publicKey: Uint8Array
}

export interface NameRequest {
  agent: string
  /** The service, channel or agent name asked for. */
  name: string
}

export interface PublishRequest extends NameRequest {
  mode: DeliveryModeName
  /** The MLS message type (`MSG`, `GROUP_ADD`, ...). */
  type: string
}

export interface RouteRequest {
  /** The neighbour the route comes from or goes to. */
  peer: string
  kind: LinkKind
  route: NameRoute
}

export interface RelayPolicy {
  /** An agent proved its key: may it attach? A refusal cuts the session (`AuthenticationError`). */
  admitSession?: (req: SessionRequest) => PolicyVerdict
  /** A relay links (inbound or outbound): may it? A refusal closes the link before any frame. */
  admitLink?: (req: { peer: string, kind: LinkKind }) => PolicyVerdict
  /** May the agent subscribe to `name` (receive its multicast)? */
  allowSubscribe?: (req: NameRequest) => PolicyVerdict
  /** May the agent serve `name` (be one of its anycast instances)? Asked on subscribe, after `allowSubscribe`. */
  allowServe?: (req: NameRequest) => PolicyVerdict
  /** May the agent send to `name` in this mode? Replies to requests it received are not asked (they are always allowed). */
  allowPublish?: (req: PublishRequest) => PolicyVerdict
  /** Keep a route a neighbour announced? Default: every route from a mesh link, none from a peering link. */
  importRoute?: (req: RouteRequest) => boolean
  /** Announce a route to a neighbour? Default: every route to a mesh link, none to a peering link. */
  exportRoute?: (req: RouteRequest) => boolean
}
