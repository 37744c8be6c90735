# bash completion for sandrun: verbs, each verb's options (asked of the
# binary itself, `sandrun VERB --help`, so they never drift), toolchain ids
# from the catalogue, report formats and engines.

_sandrun_catalogue()
{
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		if [[ ${COMP_WORDS[i]} == --catalogue ]]; then
			printf '%s\n' "${COMP_WORDS[i + 1]}"
			return
		fi
	done
	printf '%s\n' "${SANDRUN_CATALOGUE:-images.toml}"
}

_sandrun_toolchains()
{
	local cat
	cat=$(_sandrun_catalogue)
	sandrun --catalogue "$cat" list 2>/dev/null | awk '{print $1}'
}

_sandrun()
{
	local cur prev verb i
	local verbs="run check explain repro pull pin verify list gc report schema new help version"
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--catalogue | --engine | --log-format) ((i++)) ;;
		-*) ;;
		*)
			verb=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	case $prev in
	--catalogue | --cache | --suite)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--engine)
		COMPREPLY=($(compgen -W "docker podman" -- "$cur"))
		return
		;;
	--log-format | --format)
		COMPREPLY=($(compgen -W "text json" -- "$cur"))
		return
		;;
	--pull)
		COMPREPLY=($(compgen -W "missing always never" -- "$cur"))
		return
		;;
	--kind)
		COMPREPLY=($(compgen -W "exit stdout fuzz oob stub" -- "$cur"))
		return
		;;
	--shard)
		COMPREPLY=($(compgen -W "auto" -- "$cur"))
		return
		;;
	--report | -o)
		if [[ $cur == *:* ]]; then
			COMPREPLY=($(compgen -f -- "${cur#*:}"))
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%:*}:}")
		else
			COMPREPLY=($(compgen -W "json: junit: sarif: html:" -- "$cur"))
			compopt -o nospace 2>/dev/null
		fi
		return
		;;
	esac

	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--catalogue --engine --log-format -v -q --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		local opts
		opts=$(sandrun "$verb" --help 2>/dev/null | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+')
		COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
		return
	fi

	case $verb in
	pull | pin)
		COMPREPLY=($(compgen -W "$(_sandrun_toolchains)" -- "$cur"))
		;;
	report)
		COMPREPLY=($(compgen -W "merge" -- "$cur") $(compgen -f -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		;;
	*)
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	esac
}
complete -F _sandrun sandrun
