# Containers, where docker (or podman) is usable by this user; the single line "none" where not.
# Usable means: the docker command exists and a docker socket is writable (or DOCKER_HOST points
# elsewhere), else the podman command exists. Then:
#   tool docker|podman
#   ID<TAB>NAME<TAB>IMAGE<TAB>STATE<TAB>STATUS     one `docker ps -a` line per container; the
#                                                 status text holds health and exit code
#   pid ID PID                                    the first process of each running container
#   @@files
#   ==> PATH <==  ...                             its cgroup files (CPU time, memory, block
#                                                 I/O; v2 or v1) and /proc/PID/net/dev
# No `docker stats`, not even --no-stream: it waits for two samples (1-2 s) per call and costs
# the daemon a stats round per container; one `docker ps` and one `head` per cycle instead.
bounded() {
	rc=0
	timeout -s KILL 10 "$@" || rc=$?
	case $rc in 125 | 126 | 127) "$@" ;; *) return $rc ;; esac
}
tool=
if command -v docker >/dev/null 2>&1; then
	case ${DOCKER_HOST-} in
	tcp://* | ssh://* | fd://*) tool=docker ;;
	*)
		for s in "${DOCKER_HOST#unix://}" /var/run/docker.sock /run/docker.sock "${XDG_RUNTIME_DIR:-/nonexistent}/docker.sock"; do
			if [ -S "$s" ] && [ -w "$s" ]; then
				tool=docker
				DOCKER_HOST=unix://$s
				export DOCKER_HOST
				break
			fi
		done
		;;
	esac
fi
if [ -z "$tool" ] && command -v podman >/dev/null 2>&1; then
	tool=podman
fi
if [ -z "$tool" ]; then
	echo none
	exit 0
fi
ps=$(bounded "$tool" ps -a --no-trunc --format '{{.ID}}\t{{.Names}}\t{{.Image}}\t{{.State}}\t{{.Status}}' 2>/dev/null) || exit
echo "tool $tool"
printf '%s\n' "$ps"
tab='	'
set -f
IFS='
'
set -- $ps
IFS=' 	
'
set +f
files=
for row in "$@"; do
	case $row in *"${tab}running${tab}"*) ;; *) continue ;; esac
	id=${row%%"$tab"*}
	v2=
	procs=
	for c in /sys/fs/cgroup/system.slice/docker-"$id".scope /sys/fs/cgroup/docker/"$id" \
		/sys/fs/cgroup/machine.slice/libpod-"$id".scope \
		/sys/fs/cgroup/user.slice/user-*.slice/user@*.service/user.slice/libpod-"$id".scope; do
		if [ -d "$c" ]; then
			v2=$c
			break
		fi
	done
	if [ -n "$v2" ]; then
		procs=$v2/cgroup.procs
		files="$files $v2/cpu.stat $v2/memory.current $v2/memory.max $v2/memory.stat $v2/io.stat"
	else
		for c in docker/"$id" system.slice/docker-"$id".scope machine.slice/libpod-"$id".scope; do
			if [ -d /sys/fs/cgroup/memory/"$c" ]; then
				procs=/sys/fs/cgroup/memory/$c/cgroup.procs
				files="$files /sys/fs/cgroup/cpuacct/$c/cpuacct.usage /sys/fs/cgroup/memory/$c/memory.usage_in_bytes"
				files="$files /sys/fs/cgroup/memory/$c/memory.limit_in_bytes /sys/fs/cgroup/memory/$c/memory.stat"
				files="$files /sys/fs/cgroup/blkio/$c/blkio.throttle.io_service_bytes"
				break
			fi
		done
	fi
	pid=
	if [ -r "$procs" ]; then
		read -r pid <"$procs" || :
	fi
	if [ -n "$pid" ]; then
		echo "pid $id $pid"
		files="$files /proc/$pid/net/dev"
	fi
done
echo '@@files'
if [ -n "$files" ]; then
	head -n 999 $files 2>/dev/null || :
fi
