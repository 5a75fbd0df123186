/**
 * The `slim-mesh` command line, on commander.
 *
 * - ./bin.ts: the executable; ./main.ts: the program and its subcommands;
 * - ./node.command.ts and ./node-config.ts: `slim-mesh node`, its config file and environment;
 * - ./agent.commands.ts: `pub`, `sub`, `req`, `serve`;
 * - ./channel.commands.ts, ./channel-requests.commands.ts: `channel create | invite | ... | listen | close`,
 *   on the agent of a data directory (./channel-agent.ts);
 * - ./chart.command.ts, ./inspect.command.ts: state charts, live inspection;
 * - ./conformance.command.ts, ./bench.command.ts, ./sim.command.ts: MLS vectors, benchmarks, simulations;
 * - ./errors.ts: `UsageError`, what the command line refuses of what it was given; the one
 *   line and exit code a failure ends with.
 */
export { main, packageVersion } from './main.js'
export { UsageError } from './errors.js'
