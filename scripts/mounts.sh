# Usage of every mounted file system, in blocks of 1 KiB and in inodes. GNU df gives both, and
# the type, in one run: the line "@@output", then `df -k --output=...`. Where df has no
# --output (busybox, coreutils before 8.21) it prints nothing, and two POSIX runs follow:
# `df -P -k`, the line "@@inodes", `df -P -i` (busybox df has -i too). The file system types
# also come from /proc/mounts in the `files` section.
# df runs under `timeout` where there is one: a dead NFS server makes df hang for ever, and
# then the mounts are missing, not the whole output. Without timeout (status 127) or when
# timeout cannot run df (125, 126; old busybox syntax), df runs bare. A df killed by the
# timeout (137) is not run again. Mounts df cannot read (FUSE of another user) only make it
# exit 1: their lines are missing, nothing else.
bounded() {
	rc=0
	timeout -s KILL 5 "$@" 2>/dev/null || rc=$?
	case $rc in
	125 | 126 | 127) "$@" 2>/dev/null ;;
	137) return 137 ;;
	esac
	return 0
}
out=$(bounded df -k --output=source,fstype,size,used,avail,itotal,iused,iavail,target)
st=$?
if [ -n "$out" ]; then
	echo '@@output'
	printf '%s\n' "$out"
elif [ "$st" != 137 ]; then
	bounded df -P -k
	echo '@@inodes'
	bounded df -P -i
fi
