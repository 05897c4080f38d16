# Usage of every mounted file system, in blocks of 1 KiB and in inodes. GNU df gives both, and
# the type, in one run: the line "@@output", then `df -k --output=...`. Where df has no
# --output (busybox, coreutils before 8.21), two POSIX runs instead: `df -P -k`, the line
# "@@inodes", `df -P -i` (busybox df has -i too). The file system types also come from
# /proc/mounts in the `files` section.
# The program sets two variables from what the collector learnt on earlier cycles:
#   df=gnu|posix   which of the two works here; empty on the first cycle of a connection: GNU
#                  is tried, and where it prints nothing the POSIX runs follow
#   guard=1        run df under `timeout`: set while a mount that can hang df for ever (NFS,
#                  CIFS, FUSE, autofs, any type not known to be local) is or may be mounted.
#                  Without such mounts df cannot hang, and `timeout` is one more program to
#                  start (about 1 ms of CPU) on every cycle.
# Under the guard: without timeout (status 127) or when timeout cannot run df (125, 126; old
# busybox syntax), df runs bare; a df killed by the timeout (137) is not run again, and the
# section ends with 137. Mounts df cannot read (FUSE of another user) only make it exit 1:
# their lines are missing, nothing else.
bounded() {
	if [ -z "$guard" ]; then
		"$@" 2>/dev/null
		return 0
	fi
	rc=0
	timeout -s KILL 5 "$@" 2>/dev/null || rc=$?
	case $rc in
	125 | 126 | 127) "$@" 2>/dev/null ;;
	137) return 137 ;;
	esac
	return 0
}
gnu=--output=source,fstype,size,used,avail,itotal,iused,iavail,target
case $df in
gnu)
	echo '@@output'
	bounded df -k $gnu
	;;
posix)
	bounded df -P -k || return
	echo '@@inodes'
	bounded df -P -i
	;;
*)
	out=$(bounded df -k $gnu)
	rc=$?
	if [ -n "$out" ]; then
		echo '@@output'
		printf '%s\n' "$out"
	elif [ "$rc" = 137 ]; then
		return 137
	else
		bounded df -P -k || return
		echo '@@inodes'
		bounded df -P -i
	fi
	;;
esac
