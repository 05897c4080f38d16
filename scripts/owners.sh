# Who owns each process: the uid owning /proc/PID (the process's effective uid), by one program
# for all of them instead of one read of /proc/PID/status each. `stat -c '%u %n'` (GNU and
# busybox) prints "UID /proc/PID" and makes one statx per process; `ls -lnd`, the fallback where
# there is no stat, also reads extended attributes (about 1 ms more on 300 processes).
# Only the processes started since the last cycle are asked about: `since` (set by the program)
# is the last pid the kernel had given out then (the last field of /proc/loadavg), and it gives
# pids out in increasing order until they wrap at pid_max: the new processes are those between
# `since` and the last pid now, or, when that is smaller (wrapped), above `since` or up to it.
# The collector keeps the others' owners by pid and start time. All of them are asked about
# when `since` is empty (first cycle, a process it could not place, every ten minutes). "self PID"
# names this shell, which is new on every cycle and is the SSH user's own: it is left out (on
# most cycles nothing else is new, and stat is not started at all). A process that exits
# between the glob and stat is simply missing.
last=
if [ -n "$since" ]; then
	read -r l1 l5 l15 run last rest </proc/loadavg || :
	case $last in *[!0-9]*) last= ;; esac
fi
echo "self $$"
if [ -z "$last" ]; then
	set -- /proc/[0-9]*
else
	# Without wrapping, and when both have as many digits, only pids that start with the digits
	# `since` and `last` share can be new: the glob looks at those alone (31368 and 31400:
	# /proc/31[0-9][0-9][0-9]), which keeps the loop to a handful (a test per pid costs bash
	# about 10 µs).
	pat='/proc/[0-9]*'
	if [ "$last" -ge "$since" ] && [ ${#since} = ${#last} ]; then
		a=$since
		b=$last
		pat=/proc/
		while [ -n "$a" ] && [ "${a%"${a#?}"}" = "${b%"${b#?}"}" ]; do
			pat=$pat${a%"${a#?}"}
			a=${a#?}
			b=${b#?}
		done
		while [ -n "$a" ]; do
			pat="$pat[0-9]"
			a=${a#?}
		done
	fi
	set --
	for p in $pat; do
		n=${p#/proc/}
		if [ "$n" = "$$" ] || [ ! -e "$p" ]; then
			continue
		elif [ "$last" -ge "$since" ]; then
			if [ "$n" -gt "$since" ] && [ "$n" -le "$last" ]; then set -- "$@" "$p"; fi
		elif [ "$n" -gt "$since" ] || [ "$n" -le "$last" ]; then
			set -- "$@" "$p"
		fi
	done
fi
if [ $# -gt 0 ] && [ -e "$1" ]; then
	if command -v stat >/dev/null 2>&1; then
		stat -c '%u %n' "$@" 2>/dev/null || :
	else
		ls -lnd "$@" 2>/dev/null || :
	fi
fi
