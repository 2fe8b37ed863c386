/**
 * The scripts `berth completion SHELL` prints. Each hands the words typed so far
 * to `berth __complete -- WORDS...` and offers what it prints, one per line, so
 * the shells share one completer and its knowledge of the daemon's names.
 */

/**
 * bash: the words are split again from the line up to the cursor, because
 * bash's COMP_WORDS breaks `localhost/busybox:latest` at the colon; the part
 * up to the last colon is then taken off each reply, as bash expects.
 * `-o default` falls back to file names where berth offers nothing
 * (`image import FILE`, `--env-file FILE`).
 */
const BASH = `# berth completion for bash: source <(berth completion bash)
_berth() {
  local line="\${COMP_LINE:0:COMP_POINT}" IFS=$' \\t\\n'
  local -a words
  read -ra words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  local cur="\${words[\${#words[@]}-1]}"
  local IFS=$'\\n'
  COMPREPLY=($(berth __complete -- "\${words[@]:1}" 2>/dev/null))
  local broken="\${cur%"\${cur##*:}"}"
  if [[ -n "$broken" && "$COMP_WORDBREAKS" == *:* ]]; then
    local i
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]="\${COMPREPLY[i]#"$broken"}"; done
  fi
}
complete -o default -F _berth berth
`;

/** zsh: works sourced (`source <(berth completion zsh)`) or as `_berth` on the fpath. */
const ZSH = `#compdef berth
# berth completion for zsh: source <(berth completion zsh), after compinit
_berth() {
  local -a candidates
  candidates=("\${(@f)$(berth __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    compadd -- "\${candidates[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = "_berth" ]]; then
  _berth "$@"
else
  compdef _berth berth
fi
`;

/** fish: the current token is quoted so that an empty one still reaches berth. */
const FISH = `# berth completion for fish: berth completion fish | source
function __berth_complete
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l current (commandline -ct)
    berth __complete -- $tokens "$current" 2>/dev/null
end
complete -c berth -f -a '(__berth_complete)'
`;

/** The shells berth prints a completion script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

export const completionScripts: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };
