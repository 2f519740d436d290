import type { Command, CommandEntry } from '../args.ts';
import { CliError } from '../cli-error.ts';

/** Every command's flags, read from the commands themselves so the script cannot go stale. */
async function flagsByCommand(commands: readonly CommandEntry[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const entry of commands) {
    const command = await entry.load();
    const flags = ['--help', ...Object.keys(command.options).map((o) => `--${o}`)];
    out.set(entry.name, [...new Set(flags)].sort());
  }
  return out;
}

/** A bash completion function (zsh runs it through bashcompinit): commands, then their flags, then files. */
export async function bashCompletion(commands: readonly CommandEntry[]): Promise<string> {
  const flags = await flagsByCommand(commands);
  const cases = [...flags].map(([name, f]) => `    ${name}) opts="${f.join(' ')}" ;;`).join('\n');
  return `# pubky shell completion (bash; zsh: autoload -U +X bashcompinit && bashcompinit first)
_pubky() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${[...flags.keys()].join(' ')} --help" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _pubky pubky
`;
}

/** `pubky completion` over the command table it is part of (passed in: the table imports this file). */
export const completionOf = (commands: readonly CommandEntry[]): Command => ({
  name: 'completion',
  usage: `pubky completion <bash | zsh>

Prints a shell completion script for pubky's commands and flags. Load it in the current shell, or
from your shell's startup file:

  source <(pubky completion bash)                                  # ~/.bashrc
  autoload -U +X bashcompinit && bashcompinit; source <(pubky completion zsh)   # ~/.zshrc`,
  options: {},
  allowPositionals: true,
  async run(_values, positionals) {
    const shell = positionals[0];
    if (positionals.length !== 1 || (shell !== 'bash' && shell !== 'zsh'))
      throw new CliError('give the shell: pubky completion bash (or zsh)');
    process.stdout.write(await bashCompletion(commands));
    return 0;
  },
});
