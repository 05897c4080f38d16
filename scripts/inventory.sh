# Facts that change only with a reboot or an upgrade, read on the first cycle of a connection
# (the collector keeps them): `uname -r -m` ("6.1.0-18-amd64 x86_64"), then, each after a
# "==> PATH <==" line, os-release (os-release(5): /etc first, /usr/lib as the fallback) and the
# first 40 lines of /proc/cpuinfo: the first CPU's model name and MHz (x86), "Processor" or
# "Hardware" (32-bit ARM), "cpu" (POWER).
uname -r -m
head -n 40 /etc/os-release /usr/lib/os-release /proc/cpuinfo 2>/dev/null || :
