# The kernel files of a cycle, read by ONE `head`: with several operands, POSIX `head` prints
# each file after a line "==> PATH <==" (GNU and busybox alike), so one fork reads them all
# instead of one `cat` or `grep` each. Files that do not exist here are simply left out (no
# /proc/diskstats in some containers, no sockstat6 without IPv6, no cpufreq in most VMs); the
# parser decides which ones a cycle cannot do without.
#   /proc/stat       CPU ticks in total and per CPU, btime: proc_stat(5)
#   /proc/uptime     seconds since boot: the clock the rates are computed against
#   /proc/loadavg, /proc/meminfo, /proc/sys/kernel/hostname
#   /proc/sys/fs/file-nr   open file handles and the maximum
#   /proc/diskstats  I/O counters per block device; /proc/net/dev: per interface
#   /proc/net/snmp   CurrEstab; /proc/net/sockstat{,6}: TIME_WAIT and sockets in use
#   /proc/mounts     the type of every mount (pseudo file systems are dropped by type)
#   /etc/passwd      account names of the process owners
#   scaling_cur_freq current frequency of the first CPU, in kHz, where cpufreq exists
#   /proc/PID/stat   every process (proc_pid_stat(5)), last: `head` opens, reads and closes each
#                    in about half the system calls `cat` makes (3.8 ms against 7.8 ms of CPU for
#                    312 processes), and reading them with /proc/stat in the same run makes both
#                    describe the same instant. A process that exits between the glob and the
#                    read is simply missing, so errors are silenced and the status forced to 0.
# `prev` (set by the program) is empty on the first cycle of a connection: every process is
# printed as the kernel wrote it. After that it holds what the collector knows of every process
# of the last cycle, and the same `head` output goes through ONE `awk` (POSIX, mawk and busybox
# alike) that prints the other files unchanged, then, after the line "==> /proc/changed/stat <==",
# a line "gone PID..." with the processes that ended and one short record
# "PID (COMM) STATE PPID UTIME STIME THREADS START RSS" per process that is new or whose figures
# moved; the collector keeps the others' (about 40 bytes a host-cycle instead of 300 per process).
# A process of `prev` is "TOKENPID": TOKEN is 8 characters of the alphabet B below, two 24-bit
# polynomial hashes (moduli 16777213 and 16777199, so every product stays exact in a double) of
# START UTIME STIME RSS THREADS and the state's place in the alphabet L (0: not a letter), the
# collector's `KnownProc::write_to` computes the same. 16 bytes a process instead of ~33: the
# program is written to every host every cycle, and its size is held in SSH buffers (issue #13).
# A change of one figure always changes the token; any other change leaves it alike with a
# chance of 1 in 2^48, and then the process is printed one cycle late. No `^`: Debian's busybox
# awk has no math library, and then no power operator.
# It also leaves out the lines no parser reads: /proc/stat keeps its cpu and btime lines (not the
# long intr and softirq ones), /proc/meminfo the fields the memory figures use, /proc/net/snmp
# and sockstat their TCP lines, /etc/passwd becomes name:uid (what the parser reads of it).
if [ -z "$prev" ]; then
	head -n 99999999 /proc/stat /proc/uptime /proc/loadavg /proc/meminfo /proc/sys/kernel/hostname \
		/proc/sys/fs/file-nr /proc/diskstats /proc/net/dev /proc/net/snmp /proc/net/sockstat \
		/proc/net/sockstat6 /proc/mounts /etc/passwd \
		/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq /proc/[0-9]*/stat 2>/dev/null || :
else
	head -n 99999999 /proc/stat /proc/uptime /proc/loadavg /proc/meminfo /proc/sys/kernel/hostname \
		/proc/sys/fs/file-nr /proc/diskstats /proc/net/dev /proc/net/snmp /proc/net/sockstat \
		/proc/net/sockstat6 /proc/mounts /etc/passwd \
		/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq /proc/[0-9]*/stat 2>/dev/null |
		awk -v prev="$prev" '
BEGIN {
	B = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
	L = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n = split(prev, P, " "); for (i = 1; i <= n; i++) old[substr(P[i], 9)] = substr(P[i], 1, 8)
}
/^==> \/proc\/[0-9]+\/stat <==$/ { if (!inp) print "==> /proc/changed/stat <=="; inp = 1; pend = ""; next }
/^==> .* <==$/ { inp = 0; file = $2; print; next }
!inp && file == "/proc/stat" { if ($1 ~ /^cpu/ || $1 == "btime" || $0 == "") print; next }
!inp && file == "/proc/meminfo" { if ($1 ~ /^(MemTotal|MemFree|MemAvailable|Buffers|Cached|SReclaimable|SwapTotal|SwapFree):$/ || $0 == "") print; next }
!inp && file ~ /^\/proc\/net\/(snmp|sockstat6?)$/ { if ($1 ~ /^(Tcp|TCP6?):$/ || $0 == "") print; next }
!inp && file == "/etc/passwd" && /^[^#+-][^:]*:[^:]*:[^:]*:/ { k = index($0, ":"); r = substr($0, k + 1); r = substr(r, index(r, ":") + 1); print substr($0, 1, k) substr(r, 1, index(r, ":") - 1); next }
!inp { print; next }
$0 == "" && pend == "" { next }
{
	line = pend $0
	o = index(line, " (")
	c = split(line, parts, ")")
	m = split(parts[c], f, " ")
	if (o == 0 || c < 2 || m < 22) { pend = (length(line) < 200) ? line "\n" : ""; next }
	pend = ""
	pid = substr(line, 1, o - 1)
	seen[pid] = 1
	if (pid in old) {
		v[1] = f[20]; v[2] = f[12]; v[3] = f[13]; v[4] = f[22]; v[5] = f[18]
		v[6] = (length(f[1]) == 1) ? index(L, f[1]) : 0
		h = 0; g = 0
		for (j = 1; j <= 6; j++) { h = (h * 9576890 + v[j] % 16777213) % 16777213; g = (g * 5144123 + v[j] % 16777199) % 16777199 }
		key = ""
		for (d = 262144; d >= 1; d /= 64) key = key substr(B, int(h / d) % 64 + 1, 1)
		for (d = 262144; d >= 1; d /= 64) key = key substr(B, int(g / d) % 64 + 1, 1)
		if (old[pid] == key) next
	}
	print substr(line, 1, length(line) - length(parts[c])) " " f[1] " " f[2] " " f[12] " " f[13] " " f[18] " " f[20] " " f[22]
}
END {
	if (!inp) print "==> /proc/changed/stat <=="
	g = "gone"
	for (p in old) if (!(p in seen)) g = g " " p
	print g
}' || :
fi
