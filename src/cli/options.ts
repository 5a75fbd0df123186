/** Option helpers the subcommands share. */
import { Option } from 'commander'

/** `--flag X --flag Y` collects into an array. */
export function collectOption (flags: string, description: string, defaults: string[] = []): Option {
  return new Option(flags, description).argParser((value: string, prev: string[] | undefined) => [...(prev === defaults ? [] : prev ?? []), value]).default(defaults)
}
