# /proc/meminfo as is ("MemTotal:  16303428 kB" lines).
cat /proc/meminfo
