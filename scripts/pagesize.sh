# The page size in bytes (RSS in /proc/PID/stat counts pages). Read without a fork from the
# "KernelPageSize:" line of this subshell's first mapping in /proc/self/smaps (Linux 2.6.29+;
# 4 kB on x86, 4 or 64 kB on arm64), else from getconf, which busybox lacks, else 4096.
while read -r key value unit; do
	if [ "$key" = KernelPageSize: ] && [ "$unit" = kB ]; then
		echo $((value * 1024))
		return 0
	fi
done </proc/self/smaps
getconf PAGESIZE 2>/dev/null || echo 4096
