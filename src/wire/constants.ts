/**
 * Protocol ids, topic prefixes and hard limits of the wire. Every decoder enforces these;
 * the numbers are chosen so that one bad peer cannot make a relay allocate much or block
 * its event loop for long.
 */

/** Agent-to-relay session stream. */
export const SESSION_PROTOCOL = '/slim/session/1.0.0'
/** Relay-to-relay link stream: route announcements and hop-by-hop forwarding. */
export const LINK_PROTOCOL = '/slim/link/1.0.0'
/** Live inspection of a relay's actors (served only when the relay runs with inspection on). */
export const INSPECT_PROTOCOL = '/slim/inspect/1.0.0'
/** Gossipsub topic of a multicast name: the prefix, then the name. */
export const MULTICAST_TOPIC_PREFIX = '/slim/mc/1/'

/** Version number an agent sends in `Hello`. */
export const SESSION_VERSION = 1
/** Domain separation for the session signature (agent proves it holds its key). */
export const SESSION_SIGNATURE_CONTEXT = 'slim-mesh/session/1'

/** The largest frame any stream accepts (length prefix excluded). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/** The largest payload one envelope may carry; larger publishes are refused at once. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024
/** How many envelopes or acks one frame may pack (also capped in the .proto). */
export const MAX_MESSAGES_PER_FRAME = 4096
/** Metadata entries per envelope (also capped in the .proto). */
export const MAX_METADATA_ENTRIES = 32
/** Bytes of one metadata key or value. */
export const MAX_METADATA_FIELD_BYTES = 1024
/** Message ids are 16 random bytes; anything longer is refused. */
export const MAX_MESSAGE_ID_BYTES = 64
/** A name is 4 components of at most 63 characters plus separators. */
export const MAX_NAME_BYTES = 4 * 63 + 3
/** Hops an envelope or routed frame may travel before it is dropped. */
export const DEFAULT_HOP_LIMIT = 16
/** What a write buffer may hold before the reader on the other end counts as stalled. */
export const MAX_WRITE_BUFFER_BYTES = 8 * 1024 * 1024
/** How many bytes of queued frames a writer packs into one frame under backlog. */
export const MAX_BATCH_BYTES = 256 * 1024

/** Routes per announcement, instances (and reachable agents) per route: the .proto's caps. */
export const MAX_ROUTE_NAMES = 10_000
export const MAX_ROUTE_INSTANCES = 4096
/** Announcements one link frame may carry (the .proto's cap). */
export const MAX_ANNOUNCEMENTS_PER_FRAME = 1024
/**
 * Pieces one version of an announcement may be split into: a receiver refuses more, and
 * holds at most this many of one origin's version while it waits for the rest.
 */
export const MAX_ROUTE_PIECES = 256
/**
 * What an origin puts in one piece, with margin under the caps above: half the names and
 * half the instances a decoder accepts, and a sixteenth of a frame (the batch size, so a
 * piece never makes a link frame large nor holds the link long).
 */
export const ROUTE_PIECE_NAMES = 5000
export const ROUTE_PIECE_INSTANCES = 2048
export const ROUTE_PIECE_BYTES = MAX_BATCH_BYTES
/**
 * Bytes of pieces a relay holds, over all origins, while versions are still incomplete;
 * past it the oldest incomplete version is dropped (its routes come with the next refresh).
 */
export const MAX_ASSEMBLY_BYTES = 64 * 1024 * 1024
