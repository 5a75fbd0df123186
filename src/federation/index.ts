/**
 * Federation: meshes of different owners peering (issue 13; docs/FEDERATION.md).
 * - ./agreement.ts: the peering agreement, its rules, and its two-signature JWS;
 * - ./name-mapping.ts: imported names, renamed into a local prefix and back;
 * - ./border-filter.ts: which routes a border lets cross, each way (and loops, by path);
 * - ./errors.ts: `PeeringError`, naming the rule that refused;
 * - src/machines/peering.machine.ts: one peering's life (proposed .. trusted .. revoked).
 */
export { checkAgreement, countersign, parseAgreement, proposeAgreement, sidesOf, verifyAgreement, PEERING_TYP } from './agreement.js'
export type { PeeringAgreement, PeeringExport, PeeringImport, PeeringLimits, PeeringSide, VerifiedAgreement } from './agreement.js'
export { checkRename, exportedName, importedName } from './name-mapping.js'
export { incomingRoute, outgoingRoute, remoteNameOf } from './border-filter.js'
export type { RouteRefusal, RouteVerdict } from './border-filter.js'
export { PeeringError } from './errors.js'
export type { PeeringRule } from './errors.js'
