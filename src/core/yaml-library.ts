/**
 * The `yaml` library, loaded on first use. It is the heaviest module the CLI would load (about 70
 * files, 25 ms of a 60 ms node start), and most commands never touch YAML: `netpol parse --output
 * json`, a JSON state file. Modules that read or write YAML call yamlLibrary() where they do, and
 * import only its types at the top. Node caches the module, so later calls cost a lookup.
 */
import type * as Yaml from 'yaml';

export type YamlLibrary = typeof Yaml;

export function yamlLibrary(): YamlLibrary {
  // A require in the function, not an import at the top: that is the whole point of this module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('yaml') as YamlLibrary;
}
