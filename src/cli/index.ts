/**
 * The `slim-mesh` command line, on commander.
 *
 * - ./bin.ts: the executable; ./main.ts: the program and its subcommands;
 * - ./node.command.ts and ./node-config.ts: `slim-mesh node`, its config file and environment;
 * - ./agent.commands.ts: `pub`, `sub`, `req`, `serve`;
 * - ./chart.command.ts, ./inspect.command.ts: state charts, live inspection;
 * - ./conformance.command.ts, ./bench.command.ts, ./sim.command.ts: MLS vectors, benchmarks, simulations;
 * - ./errors.ts: `UsageError`, what the command line refuses of what it was given.
 */
export { main, packageVersion } from './main.js'
export { UsageError } from './errors.js'
